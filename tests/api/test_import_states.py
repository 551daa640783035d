"""Issue 14 through the API: a discarded import is discarded for every caller, and a stray
quote is reported with its row and honest counts."""

from __future__ import annotations

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
