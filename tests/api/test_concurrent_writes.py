"""Writers at the same moment wait their turn instead of failing: member uploads (to different
segments and to one), API writes and dashboard writes, all at once against a real server. On
SQLite a writing transaction takes the write lock when it begins and others wait for it; reads
(API and dashboard GETs) run without a transaction and wait for nobody."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import event, select

from segments_app.extensions import db
from segments_app.models import MemberImport, Tenant
from segments_app.services.accounts import create_user
from tests.factories import TENANT
from tests.imports_support import csv_bytes, wait_for_jobs
from tests.logins import CSRF, PASSWORD, log_in
from tests.sql import in_transaction

pytestmark = pytest.mark.usefixtures("directory")

#: segments that each get one upload; and the one that gets several at once
OWN = [f"own-{n}" for n in range(8)]
SHARED = "gold"
EMAIL = "editor@acme.example"


@pytest.fixture
def editor_account(app):
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == TENANT))
    create_user(tenant, EMAIL, "editor", PASSWORD)
    db.session.commit()


def _dashboard(base: str) -> tuple[requests.Session, str]:
    """A browser session logged in to the dashboard, and its CSRF token."""
    browser = requests.Session()
    response = log_in(browser, TENANT, EMAIL, PASSWORD, base)
    assert response.status_code == 303, response.text
    return browser, CSRF.search(browser.get(f"{base}/", timeout=30).text).group(1)


def test_uploads_api_writes_and_dashboard_writes_at_once_queue(live_server, api, editor_account):
    base = f"{live_server}/customer-segment/{TENANT}"
    bearer = {"Authorization": f"Bearer {api.token}"}
    for segment_id in OWN:
        assert (
            api.put(
                f"/segments/{segment_id}", json={"name": {"en": segment_id}, "siteCode": "main"}
            ).status_code
            == 201
        )
    db.session.remove()
    browser, csrf = _dashboard(live_server)
    start = threading.Barrier(len(OWN) + 4 + 6 + 6)

    def upload(segment_id: str) -> requests.Response:
        start.wait()
        return requests.post(
            f"{base}/segments/{segment_id}/imports?dryRun=false",
            files={"file": ("m.csv", csv_bytes("customerId", "c1", "c2"))},
            headers=bearer,
            timeout=60,
        )

    def api_write(n: int) -> requests.Response:
        start.wait()
        return requests.put(
            f"{base}/segments/api-{n}",
            json={"name": {"en": f"API {n}"}, "siteCode": "main"},
            headers=bearer,
            timeout=60,
        )

    def dashboard_write(n: int) -> requests.Response:
        start.wait()
        return browser.post(
            f"{live_server}/new-segment",
            data={
                "language": "en",
                "name.en": f"Web {n}",
                "siteCode": "main",
                "status": "ACTIVE",
                "id": f"web-{n}",
            },
            headers={"X-CSRFToken": csrf},
            allow_redirects=False,
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=start.parties) as pool:
        own = [pool.submit(upload, segment_id) for segment_id in OWN]
        shared = [pool.submit(upload, SHARED) for _ in range(4)]
        api_writes = [pool.submit(api_write, n) for n in range(6)]
        dashboard_writes = [pool.submit(dashboard_write, n) for n in range(6)]
        answers = {
            "own": [f.result() for f in own],
            "shared": [f.result() for f in shared],
            "api": [f.result() for f in api_writes],
            "dashboard": [f.result() for f in dashboard_writes],
        }
    wait_for_jobs()

    statuses = {kind: [r.status_code for r in rs] for kind, rs in answers.items()}
    assert all(code < 500 for codes in statuses.values() for code in codes), statuses
    assert statuses["own"] == [202] * len(OWN), statuses
    assert statuses["api"] == [201] * 6, statuses
    assert statuses["dashboard"] == [303] * 6, statuses
    assert set(statuses["shared"]) <= {202, 409} and 202 in statuses["shared"], statuses
    for response in answers["shared"]:
        if response.status_code == 409:
            message = response.json()["message"]
            assert "one import runs per segment at a time" in message or (
                "started meanwhile" in message
            ), message
    db.session.rollback()
    finished = db.session.scalars(select(MemberImport.status)).all()
    assert set(finished) == {"applied"}, finished


def test_a_dashboard_read_runs_without_a_transaction(app, live_server, editor_account):
    """A page read (the user's own row included) holds no transaction, so on SQLite it never
    waits for a writer; a dashboard write runs in one."""
    browser, csrf = _dashboard(live_server)
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread() is not threading.main_thread():
            verb = statement.strip().split()[0].upper()
            seen.append((verb, in_transaction(conn.connection.dbapi_connection)))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert browser.get(f"{live_server}/segments", timeout=30).status_code == 200
        assert seen and all(verb == "SELECT" and not in_tx for verb, in_tx in seen), seen
        seen.clear()
        created = browser.post(
            f"{live_server}/new-segment",
            data={
                "language": "en",
                "name.en": "Web",
                "siteCode": "main",
                "status": "ACTIVE",
                "id": "web",
            },
            headers={"X-CSRFToken": csrf},
            allow_redirects=False,
            timeout=30,
        )
        assert created.status_code == 303
        assert ("INSERT", True) in seen, seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_writer_waits_for_the_write_lock_instead_of_failing(app):
    """SQLite: a transaction that reads and then writes while another connection commits
    meanwhile still succeeds, because it took the write lock when it began."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")
    holder = db.engine.connect()
    holder.begin()
    holder.exec_driver_sql("UPDATE tenant SET name = name")
    results: list[object] = []

    def writer() -> None:
        with app.app_context():
            try:
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("SELECT count(*) FROM segment").scalar()
                    connection.exec_driver_sql("UPDATE segment SET version = version")
                results.append("ok")
            except Exception as exc:  # the assertion below shows it
                results.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    holder.commit()
    holder.close()
    thread.join(timeout=30)
    assert results == ["ok"]


def test_a_slow_upload_does_not_hold_up_other_writers(live_server, api):
    """The write lock is taken at a request's first write, not at its first read: while an
    upload's body is still on its way, other writes go through."""
    base = f"{live_server}/customer-segment/{TENANT}"
    bearer = {"Authorization": f"Bearer {api.token}"}
    db.session.remove()

    def slow_body():
        yield b"customerId\n"
        for n in range(4):
            time.sleep(0.5)
            yield f"c{n + 1}\n".encode()

    with ThreadPoolExecutor(max_workers=1) as pool:
        upload = pool.submit(
            requests.post,
            f"{base}/segments/{SHARED}/imports?fileName=slow.csv",
            data=slow_body(),
            headers={**bearer, "Content-Type": "text/csv"},
            timeout=60,
        )
        time.sleep(0.4)
        started = time.monotonic()
        written = requests.put(
            f"{base}/segments/meanwhile",
            json={"name": {"en": "Meanwhile"}, "siteCode": "main"},
            headers=bearer,
            timeout=60,
        )
        waited = time.monotonic() - started
        assert written.status_code == 201, written.text
        assert not upload.done(), "the upload was meant to be still on its way"
        assert upload.result().status_code == 202, upload.result().text
    wait_for_jobs()
    assert waited < 1.0, f"the write waited {waited:.1f} s for the upload"
