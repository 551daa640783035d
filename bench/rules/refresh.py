"""The scheduled refresh in a process of its own, reporting its resident memory.

`python -m bench.rules.refresh URL` runs `refresh()` (services.rules) for the bench tenant and
prints one JSON line: {"rules", "seconds", "joined", "left", "rss_before_mb", "peak_mb",
"rss_after_mb", "rss_by_rule_mb"}. Run by bench.rules.runner.
"""

from __future__ import annotations

import json
import sys
import time

from segments_app import create_app
from segments_app.extensions import db
from segments_app.models import Tenant
from segments_app.services.rules import runs, service

from .data import TENANT


def status_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak) of this process, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(url: str) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-rules", "REDIS_URL": None}
    )
    by_rule: list[float] = []
    original = runs.run_evaluation

    def measured(pk: int) -> None:
        original(pk)
        by_rule.append(status_mb("VmRSS"))

    runs.run_evaluation = measured  # type: ignore[assignment]
    with app.app_context():
        tenant = db.session.query(Tenant).filter_by(name=TENANT).one()
        tenant_id = tenant.id
        db.session.commit()
        before = status_mb("VmRSS")
        started = time.perf_counter()
        done = service.refresh(tenant_id)
        seconds = time.perf_counter() - started
        failed = [e for e in done if e.state != "done"]
        print(
            json.dumps(
                {
                    "rules": len(done),
                    "failed": len(failed),
                    "error": failed[0].error if failed else None,
                    "seconds": seconds,
                    "joined": sum(e.joined for e in done),
                    "left": sum(e.left for e in done),
                    "ms_by_rule": [(e.detail or {}).get("ms") for e in done],
                    "rss_before_mb": before,
                    "peak_mb": status_mb("VmHWM"),
                    "rss_after_mb": status_mb("VmRSS"),
                    "rss_by_rule_mb": [round(m, 1) for m in by_rule],
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1])
