"""A rule's changes in the segment's History tab and the overview's chart: each membership
change with its reason in words (the rule, an import, the API, the dashboard), and each
evaluation as a line of its own with its counts and time."""

from __future__ import annotations

import re

from segments_app.extensions import db
from segments_app.models.types import utcnow
from segments_app.services import overview
from segments_app.services.history import Change
from tests.factories import tenant_named
from tests.pages import page_text
from tests.rules_support import save, seed

GOLDEN = {"field": "attributes.tier", "op": "equals", "value": "gold"}


def _changes(browser, segment_id: str) -> list[str]:
    """The History tab's log lines: (who, what) as text."""
    html = page_text(browser.get(f"/segments/{segment_id}/history"))
    table = re.search(r'<div id="history-changes">(.*?)</table>', html, re.S)
    assert table is not None, html
    rows = re.findall(
        r"<tr>\s*<td[^>]*>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table.group(1), re.S
    )
    plain = (re.sub(r"<[^>]+>", "", f"{who} | {what}") for who, what in rows)
    return [re.sub(r"\s+", " ", line).strip() for line in plain]


def test_an_evaluation_and_its_changes_in_the_history_and_the_chart(
    app, api, tenant, make_segment, viewer
):
    tiers = {"c1": {"tier": "gold"}, "c2": {"tier": "gold"}, "c3": {"tier": "tin"}}
    seed(app, tenant, tiers, {"tier": "string"})
    segment_id = make_segment(id="gold")
    done = save(api, segment_id, GOLDEN)
    assert (done["matched"], done["joined"], done["left"]) == (2, 2, 0)
    assert api.put(f"/segments/{segment_id}/customers/c3").status_code in (201, 204)
    lines = _changes(viewer, segment_id)
    evaluated = [line for line in lines if "Evaluated the rule" in line]
    assert len(evaluated) == 1, lines
    assert re.search(
        r"Evaluated the rule: 2 customers match, 2 joined, 0 left, in \d+ ms "
        r"\(after the rule was saved\)",
        evaluated[0],
    ), evaluated
    assert any(
        line.startswith("rule |")
        and "Added 2 members by the rule, after the rule was saved" in line
        for line in lines
    ), lines
    assert any("Added a member through the API" in line for line in lines), lines
    with app.app_context():
        today = overview.daily_changes(tenant_named(tenant), 30)[-1]
        assert today["added"] == 3  # the rule's two and the API's one


def test_each_evaluation_is_a_line_of_its_own(app, api, tenant, make_segment, viewer):
    seed(app, tenant, {"c1": {"tier": "gold"}, "c2": {"tier": "tin"}}, {"tier": "string"})
    segment_id = make_segment(id="gold")
    save(api, segment_id, GOLDEN)
    save(api, segment_id, {"field": "attributes.tier", "op": "in", "value": ["gold", "tin"]})
    evaluated = [line for line in _changes(viewer, segment_id) if "Evaluated" in line]
    assert [re.sub(r", in \d+ ms", "", line.split("| ")[1]) for line in evaluated] == [
        "Evaluated the rule: 2 customers match, 1 joined, 0 left (after the rule was saved)",
        "Evaluated the rule: 1 customer match, 1 joined, 0 left (after the rule was saved)",
    ]


def test_the_reason_of_a_membership_change_in_words():
    at = utcnow()

    def reason(actor: str, detail: dict | None, action: str = "members.added") -> str | None:
        return Change(action, actor, at, at, 3, detail).reason

    assert reason("rule", {"reason": "rule", "trigger": "directory"}) == (
        "by the rule, after customers' data changed"
    )
    assert reason("rule", {"reason": "rule", "trigger": "schedule"}).startswith(
        "by the rule, on the schedule"
    )
    assert reason("ann@acme.example", {"reason": "rule", "trigger": "removed"}) == (
        "by the rule, as the rule was removed"
    )
    assert reason("ann@acme.example", {"importId": "i1", "fileName": "vip.csv"}) == (
        "by an import of vip.csv"
    )
    assert reason("API client shop", {"importId": "i1"}) == "by an import"
    assert reason("API client shop", None) == "through the API"
    assert reason("ann@acme.example", None) == "in the dashboard"
    assert reason("ann@acme.example", None, "segment.updated") is None
    slow = Change(
        "rule.evaluated",
        "ann",
        at,
        at,
        1,
        {"matched": 1, "joined": 1, "left": 0, "ms": 2500, "trigger": "dependency"},
    )
    assert slow.text == (
        "Evaluated the rule: 1 customer match, 1 joined, 0 left, in 2.5 s "
        "(after a segment it uses changed)"
    )
    assert Change("rule.evaluated", "ann", at, at, 2, None).text == "Evaluated the rule 2 times"


def test_an_import_and_changes_by_hand_in_one_minute_stay_apart(app, tenant, make_segment, viewer):
    from sqlalchemy import select

    from segments_app.models import Segment
    from segments_app.services import activity

    segment_id = make_segment(id="gold")
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == segment_id))
        with activity.acting_as("ann@acme.example"):
            activity.record(segment, "members.added", 5, {"importId": "i1", "fileName": "a.csv"})
            activity.record(segment, "members.added", 1)
        db.session.commit()
    lines = _changes(viewer, segment_id)
    assert any("Added 5 members by an import of a.csv" in line for line in lines), lines
    assert any("Added a member in the dashboard" in line for line in lines), lines
