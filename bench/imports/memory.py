"""One import in a process of its own, reporting its peak resident memory.

`python -m bench.imports.memory URL IMPORT_DIR SEGMENT FILE` prints one JSON line:
{"rows", "seconds", "status", "baseline_mb", "peak_mb"}. Run by bench.imports.runner.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from segments_app import create_app
from segments_app.extensions import db
from segments_app.models import MemberImport, Tenant
from segments_app.services.imports import create_import, run_import

from .seed import TENANT


def peak_mb() -> float:
    """The peak resident memory of this process (VmHWM: not inherited across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(url: str, import_dir: str, segment_id: str, path: str) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "IMPORT_DIR": import_dir, "IMPORT_MAX_ROWS": 10_000_000}
    )
    with app.app_context():
        tenant = db.session.query(Tenant).filter_by(name=TENANT).one()
        db.session.execute(db.select(MemberImport).limit(1)).first()
        baseline = peak_mb()
        started = time.perf_counter()
        imp = create_import(tenant, segment_id, path, Path(path).name, "add", False, enqueue=False)
        pk = imp.pk
        db.session.commit()
        run_import(pk)
        seconds = time.perf_counter() - started
        imp = db.session.get(MemberImport, pk)
        assert imp is not None
        print(
            json.dumps(
                {
                    "rows": (imp.counts or {}).get("rowsRead", 0),
                    "added": (imp.counts or {}).get("membersToAdd", 0),
                    "seconds": seconds,
                    "status": imp.status,
                    "error": imp.error,
                    "baseline_mb": baseline,
                    "peak_mb": peak_mb(),
                }
            )
        )


if __name__ == "__main__":
    main(*sys.argv[1:5])
