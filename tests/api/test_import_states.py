"""Issue 14 through the API: a discarded import is discarded for every caller, and a stray
quote is reported with its row and honest counts."""

from __future__ import annotations

import io

import pytest

from tests.imports_support import IMPORTS, api_upload, csv_bytes, finished, members
from tests.web.test_upload_states import stray_quote_file

pytestmark = pytest.mark.usefixtures("directory")


def test_a_discarded_import_cannot_be_applied_or_previewed(api, import_dir):
    created = api_upload(api, csv_bytes("customerId", "c1"))
    preview = finished(api, created.headers["Location"])
    assert preview["status"] == "previewed"
    one = f"{IMPORTS}/{preview['id']}"

    discarded = api.post(f"{one}/discard")
    assert discarded.status_code == 200, discarded.get_json()
    assert discarded.get_json()["status"] == "discarded"
    assert list(import_dir.iterdir()) == []
    assert api.get(one).get_json()["status"] == "discarded"
    assert api.get(IMPORTS).get_json()[0]["status"] == "discarded"  # kept in the list

    for action in ("apply", "preview"):
        refused = api.post(f"{one}/{action}")
        assert refused.status_code == 409
        assert "was discarded" in refused.get_json()["message"]
    assert api.post(f"{one}/discard").status_code == 200  # twice: the same outcome
    assert members() == set()


def test_an_applied_import_cannot_be_discarded(api):
    created = api_upload(api, csv_bytes("customerId", "c1"), dryRun="false")
    applied = finished(api, created.headers["Location"])
    assert applied["status"] == "applied"
    refused = api.post(f"{IMPORTS}/{applied['id']}/discard")
    assert refused.status_code == 409
    assert members() == {("c1", None)}


def test_a_stray_quote_is_one_rejected_row_that_names_itself(api):
    created = api_upload(api, stray_quote_file())
    preview = finished(api, created.headers["Location"])
    counts = preview["counts"]
    assert counts["rowsRead"] == 535
    assert counts["malformedRows"] == 1
    assert counts["unknownCustomers"] == 534  # the file's customers are not in the directory
    quote = [problem for problem in preview["problems"] if problem["row"] == 10]
    assert quote and quote[0]["reason"].startswith(
        "A quote opened in row 10 is never closed (it runs to the end of the file)."
    )
    assert not any("longer than" in problem["reason"] for problem in preview["problems"])


def test_an_apply_waiting_to_start_carries_none_of_the_previews_numbers(api, monkeypatch):
    from segments_app.extensions import db
    from segments_app.services import imports
    from segments_app.services.imports import commands
    from tests.factories import tenant_named
    from tests.imports_support import reloaded

    imp = imports.create_import(
        tenant_named(),
        "gold",
        io.BytesIO(csv_bytes("customerId", "c1", "c2")),
        "m.csv",
        enqueue=False,
    )
    db.session.commit()
    imports.run_import(imp.pk)
    assert reloaded(imp.pk).rows_done == 2
    monkeypatch.setattr(commands, "_enqueue", lambda imp: None)  # the runner is busy
    imports.start_apply(tenant_named(), "gold", imp.id)
    db.session.commit()
    doc = api.get(f"{IMPORTS}/{imp.id}").get_json()
    assert doc["status"] == "queued" and doc["dryRun"] is False
    assert doc["progress"] == {"rowsDone": 0}
