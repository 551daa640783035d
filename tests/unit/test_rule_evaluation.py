"""Evaluating rules: relative dates against a fixed clock and the scheduled refresh, failed and
interrupted evaluations, re-evaluation on directory imports and member imports, and evaluations
running beside member imports and API writes on the same segment."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import RuleEvaluation, Segment
from segments_app.services.directory.importer import import_batch
from segments_app.services.rules import evaluate, runs, service
from tests.factories import tenant_named
from tests.imports_support import REDIS_URL, api_upload, csv_bytes, finished, redis_up
from tests.rules_support import add_evaluation, members, save, seed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RECENT = {"field": "attributes.lastOrderAt", "op": "withinLastDays", "value": 7}
JANES = {"field": "firstName", "op": "equals", "value": "Jane"}


@pytest.fixture
def fixed_clock(monkeypatch):
    moment = {"now": NOW}
    monkeypatch.setattr(evaluate, "clock", lambda: moment["now"])
    monkeypatch.setattr(runs, "clock", lambda: moment["now"])
    return moment


@pytest.fixture
def orders(app, tenant):
    seed(
        app,
        tenant,
        {
            "c1": {"lastOrderAt": "2026-11-30T10:00:00.000Z"},
            "c2": {"lastOrderAt": "2026-11-20T10:00:00.000Z"},
            "c3": {},
        },
        {"lastOrderAt": "datetime"},
    )


def test_relative_dates_follow_the_clock_on_refresh(app, api, tenant, orders, fixed_clock, cli):
    save(api, _segment(api, "recent"), RECENT)
    assert members(app, tenant, "recent") == {"c1": "AUTOMATIC"}
    fixed_clock["now"] = NOW - timedelta(days=6)
    result = cli.invoke(args=["segments", "refresh"])
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    assert members(app, tenant, "recent") == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    fixed_clock["now"] = NOW + timedelta(days=30)
    with app.app_context():
        [evaluation] = runs.refresh(tenant_named(tenant).id)
        assert (evaluation.state, evaluation.left, evaluation.reason) == ("done", 2, "schedule")
    assert members(app, tenant, "recent") == {}


def test_a_failed_evaluation_leaves_membership_as_it_was(app, api, tenant, orders, monkeypatch):
    seg = _segment(api, "any")
    save(api, seg, {"field": "attributes.lastOrderAt", "op": "exists"})
    before = members(app, tenant, seg)

    def boom(step: str) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runs, "checkpoint", boom)
    failed = save(api, seg, {"not": {"field": "attributes.lastOrderAt", "op": "exists"}}, "failed")
    assert "disk on fire" in failed["error"]
    assert members(app, tenant, seg) == before


def test_interrupted_and_superseded_evaluations(app, api, tenant, orders, make_segment):
    seg = _segment(api, "any")
    save(api, seg, {"field": "attributes.lastOrderAt", "op": "exists"})
    with app.app_context():
        old = datetime.now(UTC) - timedelta(hours=1)
        stuck = add_evaluation(seg, tenant, state="running", heartbeat_at=old, started_at=old)
        stale = add_evaluation(seg, tenant, state="queued", detail={"ruleVersion": 0})
        db.session.commit()
        assert runs.recover_interrupted() >= 1
        db.session.refresh(stuck)
        assert (stuck.state, stuck.error) == ("failed", runs.INTERRUPTED)
        stale.state = "queued"
        db.session.commit()
        runs.run_evaluation(stale.pk)
        db.session.refresh(stale)
        assert (stale.state, stale.error) == ("failed", runs.SUPERSEDED)


def test_directory_import_re_evaluates_its_customers(app, api, tenant, orders):
    seg = _segment(api, "janes")
    save(api, seg, JANES)
    assert set(members(app, tenant, seg)) == {"c1", "c2", "c3"}
    lines = [
        b'{"kind": "customer", "id": "c1", "firstName": "Joan", "email": "c1@example.com"}',
        b'{"kind": "customer", "id": "c9", "firstName": "Jane", "email": "c9@example.com"}',
    ]
    with app.app_context():
        _summary, rejections = import_batch(tenant_named(tenant), list(enumerate(lines, 1)))
        assert not rejections, rejections
        db.session.commit()
    assert set(members(app, tenant, seg)) == {"c2", "c3", "c9"}
    # the directory API too, and deleting a customer
    response = api.put(
        "/directory/customers", json=[{"id": "c1", "firstName": "Jane", "email": "c1@example.com"}]
    )
    assert response.status_code == 207
    assert set(members(app, tenant, seg)) == {"c1", "c2", "c3", "c9"}
    assert api.delete("/directory/customers/c9?forceDelete=true").status_code == 204
    assert set(members(app, tenant, seg)) == {"c1", "c2", "c3"}


def test_member_imports_and_their_revert_reach_dependants(
    app, api, tenant, orders, import_dir, idle_runner
):
    _segment(api, "gold")
    vip = _segment(api, "vip")
    save(api, vip, {"all": [{"inSegment": "gold"}, JANES]})
    response = api_upload(api, csv_bytes("customerId", "c1", "c2"), dryRun="false")
    assert response.status_code == 202, response.get_json()
    with app.app_context():
        applied = finished(api, response.headers["Location"])
    assert applied["status"] == "applied", applied
    assert members(app, tenant, vip) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    reverted = api.post(response.headers["Location"].removeprefix(api.url("")) + "/revert")
    assert reverted.status_code in (200, 202), reverted.get_json()
    assert members(app, tenant, vip) == {}


def test_evaluations_beside_imports_and_api_writes(app, api, tenant, import_dir, idle_runner):
    customers = {f"c{n:03}": {"n": n} for n in range(300)}
    seed(app, tenant, customers, {"n": "number"})
    seg = _segment(api, "gold")
    errors: list[str] = []

    def writes() -> None:
        with app.app_context():
            for n in range(0, 300, 7):
                response = api.put(f"/segments/{seg}/customers/c{n:03}")
                if response.status_code not in (201, 204):
                    errors.append(f"PUT {n}: {response.status_code} {response.get_json()}")

    thread = threading.Thread(target=writes)
    thread.start()
    upload = api_upload(
        api, csv_bytes("customerId", *(f"c{n:03}" for n in range(0, 300, 3))), dryRun="false"
    )
    evaluations = [
        api.put(
            f"/segments/{seg}/rule",
            json={"rule": {"field": "attributes.n", "op": "lt", "value": v}},
        )
        for v in (150, 200)
    ]
    thread.join()
    assert all(r.status_code == 202 for r in evaluations), [r.get_json() for r in evaluations]
    assert upload.status_code == 202, upload.get_json()
    with app.app_context():
        assert finished(api, upload.headers["Location"])["status"] == "applied"
    assert jobs.wait_idle(app, 60)
    assert not errors, errors
    last = api.get(evaluations[-1].headers["Location"].removeprefix(api.url(""))).get_json()
    assert last["state"] == "done", last
    found = members(app, tenant, seg)
    automatic = {key for key, kind in found.items() if kind == "AUTOMATIC"}
    assert automatic <= {f"c{n:03}" for n in range(200)}
    assert {f"c{n:03}" for n in range(200)} <= set(found)


def test_directory_batches_compare_relative_dates_with_their_own_clock(
    app, api, tenant, orders, fixed_clock
):
    """A batch's rules are compiled once and kept: the thresholds of relative dates must still
    follow the clock from one batch to the next."""
    save(api, _segment(api, "recent"), RECENT)

    def order(customer_id: str, at: str) -> None:
        doc = {"id": customer_id, "email": f"{customer_id}@example.com"}
        doc["attributes"] = {"lastOrderAt": at}
        assert api.put("/directory/customers", json=[doc]).status_code == 207

    order("c4", "2026-11-28T09:00:00.000Z")  # three days before the clock
    assert members(app, tenant, "recent") == {"c1": "AUTOMATIC", "c4": "AUTOMATIC"}
    fixed_clock["now"] = NOW + timedelta(days=10)
    order("c5", "2026-11-28T09:00:00.000Z")  # now thirteen days before
    order("c6", "2026-12-09T09:00:00.000Z")  # two days before
    assert members(app, tenant, "recent") == {
        "c1": "AUTOMATIC",
        "c4": "AUTOMATIC",
        "c6": "AUTOMATIC",
    }


def _segment(api, segment_id: str) -> str:
    body = {"id": segment_id, "name": {"en": segment_id}, "siteCode": "main", "status": "ACTIVE"}
    response = api.post("/segments", json=body)
    assert response.status_code == 201, response.get_json()
    return segment_id


@pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_with_redis_an_evaluation_waits_for_the_worker(app, tenant, orders, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "IMPORT_QUEUE", f"rules-test-{uuid.uuid4().hex[:8]}")
    queue = jobs.rq.queue(app)
    try:
        with app.app_context():
            t = tenant_named(tenant)
            segment = Segment(tenant_id=t.id, id="any", name={"en": "Any"}, site_code="main")
            db.session.add(segment)
            db.session.flush()
            rule = {"rule": {"field": "attributes.lastOrderAt", "op": "exists"}}
            pk = service.save_rule(t, segment, rule).pk
            db.session.commit()
            assert queue.count == 1
            assert db.session.get(RuleEvaluation, pk).state == "queued"
            jobs.rq.work(app, burst=True)
            db.session.expire_all()
            assert db.session.get(RuleEvaluation, pk).state == "done"
        assert members(app, tenant, "any") == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    finally:
        queue.delete(delete_jobs=True)


def test_an_evaluation_that_loses_a_deadlock_is_tried_again(app, api, tenant, orders, monkeypatch):
    seg = _segment(api, "any")
    real = runs._evaluate
    calls = []

    class Deadlock(Exception):
        sqlstate = "40P01"

    def once_deadlocked(pk: int, *progress) -> None:
        calls.append(pk)
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, Deadlock("deadlock detected"))
        real(pk, *progress)

    monkeypatch.setattr(runs, "_evaluate", once_deadlocked)
    done = save(api, seg, {"field": "attributes.lastOrderAt", "op": "exists"})
    assert (done["joined"], len(calls)) == (2, 2)
