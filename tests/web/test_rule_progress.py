"""Progress of a whole-segment evaluation while it runs: its phase and the counts known so far,
seen by a poll of the API and of the Rule tab before the evaluation's transaction commits."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import RuleEvaluation
from segments_app.services.rules import runs
from tests.pages import page_text
from tests.rules_support import members, seed

MATCHING = {"field": "attributes.tier", "op": "equals", "value": "gold"}


def _held_at(monkeypatch, step: str) -> tuple[threading.Event, threading.Event]:
    """(reached, release): the evaluation stops at checkpoint `step` until released."""
    reached, release = threading.Event(), threading.Event()

    def hold(at: str) -> None:
        if at == step:
            reached.set()
            assert release.wait(30)

    monkeypatch.setattr(runs, "checkpoint", hold)
    return reached, release


def _stored_progress(app, pk: int) -> dict | None:
    """The progress as another connection reads it from the evaluation's row."""
    with app.app_context(), db.engine.connect() as connection:
        detail = connection.execute(
            select(RuleEvaluation.detail).where(RuleEvaluation.pk == pk)
        ).scalar_one()
    return (detail or {}).get("progress")


def test_a_poll_sees_the_phase_and_counts_before_the_commit(
    app, api, tenant, make_segment, monkeypatch, viewer
):
    tiers = {f"c{n}": {"tier": "gold" if n < 3 else "tin"} for n in range(5)}
    seed(app, tenant, tiers, {"tier": "string"})
    segment_id = make_segment(id="gold")
    reached, release = _held_at(monkeypatch, "applied")
    saved = api.put(f"/segments/{segment_id}/rule", json={"rule": MATCHING})
    assert saved.status_code == 202
    location = saved.headers["Location"].removeprefix(api.url(""))
    try:
        assert reached.wait(30)
        running = api.get(location).get_json()
        assert running["state"] == "running"
        assert running["progress"] == {"phase": "removing", "matched": 3, "joined": 3}
        page = viewer.get(f"/segments/{segment_id}/rule/evaluations/{running['id']}", htmx=True)
        text = page_text(page)
        assert "Removing the members who no longer match" in text and "3 joined" in text
        with app.app_context():
            postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            # written from the heartbeat's own connection: other processes see it too (a beat
            # may have stored an earlier phase first; the next one stores this one)
            expected = {"phase": "removing", "matched": 3, "joined": 3}
            deadline = time.monotonic() + 10
            while (stored := _stored_progress(app, int(running["id"]))) != expected:
                assert time.monotonic() < deadline, f"the heartbeat stored {stored}"
                time.sleep(0.05)
        assert members(app, tenant, segment_id) == {}  # nothing committed yet
    finally:
        release.set()
    assert jobs.wait_idle(app, 30)
    done = api.get(location).get_json()
    assert done["state"] == "done" and "progress" not in done
    assert (done["matched"], done["joined"], done["left"]) == (3, 3, 0)
    with app.app_context():
        stored = db.session.get(RuleEvaluation, int(done["id"]))
        assert stored is not None and "progress" not in (stored.detail or {})
    assert len(members(app, tenant, segment_id)) == 3
