"""A directory batch evaluates its rules in waves and leaves out the rules whose fields it did not
change: what it leaves must be what a full evaluation of every rule makes."""

from __future__ import annotations

from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import Activity, CustomerAssignment, Segment
from segments_app.services.rules import batch, evaluate
from tests.factories import tenant_named
from tests.rules_support import members, save, seed

RULES = {
    "gold": {"field": "attributes.tier", "op": "equals", "value": "gold"},
    "big": {
        "all": [{"inSegment": "gold"}, {"field": "attributes.n", "op": "gt", "value": 1}],
    },
    "janes": {"field": "firstName", "op": "equals", "value": "Jane"},
    "rest": {"not": {"inSegment": "big"}},
    "firms": {"field": "legalEntity.id", "op": "exists"},
}


def _customer(n: int, **attributes: object) -> dict:
    return {
        "id": f"c{n}",
        "firstName": "Jane",
        "lastName": "Doe",
        "email": f"c{n}@example.com",
        **attributes,
    }


def _full_evaluation_changes(app, tenant: str) -> dict[str, tuple[int, int]]:
    """What a full evaluation of every rule would still change (rolled back)."""
    with app.app_context():
        rules = evaluate.RuleSet.load(tenant_named(tenant).id)
        ctx = rules.context(evaluate.clock())
        found = {}
        for key in rules.order():
            change = evaluate.apply_rule(db.session, rules.segments[key].pk, rules.rules[key], ctx)
            if change.joined or change.left:
                found[key] = (change.joined, change.left)
        db.session.rollback()
        return found


def _miscounted(app) -> dict[str, tuple[int, int]]:
    """Segments whose stored member count is not their number of members: (stored, actual)."""
    with app.app_context():
        actual = (
            select(func.count())
            .where(CustomerAssignment.segment_pk == Segment.pk)
            .scalar_subquery()
        )
        rows = db.session.execute(select(Segment.id, Segment.member_count, actual)).all()
        return {key: (stored, real) for key, stored, real in rows if stored != real}


def _last_logged(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.max(Activity.id))).scalar() or 0


def _logged_since(app, tenant: str, after: int) -> set[tuple]:
    """The log lines written after entry `after`, all of `tenant`'s: (segment, actor, action,
    count, detail)."""
    with app.app_context():
        rows = db.session.execute(
            select(
                Activity.segment_id,
                Activity.tenant_id,
                Activity.actor,
                Activity.action,
                Activity.count,
                Activity.detail,
            ).where(Activity.id > after)
        ).all()
        assert {row.tenant_id for row in rows} == {tenant_named(tenant).id}
        return {(r.segment_id, r.actor, r.action, r.count, tuple(r.detail.items())) for r in rows}


def test_a_batch_leaves_what_a_full_evaluation_makes(app, api, tenant, monkeypatch):
    seed(
        app,
        tenant,
        {f"c{n}": {"tier": "gold" if n % 2 else "silver", "n": n} for n in range(1, 7)},
        {"tier": "string", "n": "number"},
    )
    for key, rule in RULES.items():
        body = {"id": key, "name": {"en": key}, "siteCode": "main", "status": "ACTIVE"}
        assert api.post("/segments", json=body).status_code == 201
        save(api, key, rule)
    assert _full_evaluation_changes(app, tenant) == {}
    evaluated: list[list[str]] = []
    original = batch.apply_wave

    def spy(session, rules, ctx, customer_pks):
        with app.app_context():
            names = dict(db.session.execute(select(Segment.pk, Segment.id)).all())
        evaluated.append(sorted(names[pk] for pk in rules))
        return original(session, rules, ctx, customer_pks)

    monkeypatch.setattr(batch, "apply_wave", spy)
    # only n changes: "gold", "janes" and "firms" cannot change; "big" reads n, "rest" follows it
    docs = [
        _customer(n, attributes={"tier": "gold" if n % 2 else "silver", "n": 0}) for n in (1, 3)
    ]
    logged = _last_logged(app)
    assert api.put("/directory/customers", json=docs).status_code == 207
    # "rest" in the same statement as "big", reading "big" as that statement leaves it
    assert evaluated == [["big", "rest"]]
    assert "c1" not in members(app, tenant, "big") and "c1" in members(app, tenant, "rest")
    # each segment's change logged once, by the rule, with the reason the History tab shows
    why = (("reason", "rule"), ("trigger", "directory"))
    assert _logged_since(app, tenant, logged) == {
        ("big", "rule", "members.removed", 1, why),
        ("rest", "rule", "members.added", 1, why),
    }
    assert _full_evaluation_changes(app, tenant) == {}
    # a member of "big" added by hand stays one for "rest", whatever big's rule says of it
    assert api.put("/segments/big/customers/c6").status_code in (200, 201)
    assert "c6" not in members(app, tenant, "rest")
    evaluated.clear()
    docs = [_customer(6, attributes={"tier": "silver", "n": 7})]
    assert api.put("/directory/customers", json=docs).status_code == 207
    assert evaluated == [["big", "rest"]]
    assert members(app, tenant, "big")["c6"] == "MANUAL"
    assert "c6" not in members(app, tenant, "rest")
    assert _full_evaluation_changes(app, tenant) == {}
    # a tier and a name change, and a new customer: every rule at once
    evaluated.clear()
    docs = [
        _customer(2, attributes={"tier": "gold", "n": 5}),
        {**_customer(4, attributes={"tier": "silver", "n": 4}), "firstName": "Joan"},
        _customer(9, attributes={"tier": "gold", "n": 9}),
    ]
    assert api.put("/directory/customers", json=docs).status_code == 207
    # "firms" (a legal entity rule) on its own, beside the statement
    assert evaluated == [["big", "gold", "janes", "rest"]]
    assert set(members(app, tenant, "big")) == {"c2", "c5", "c6", "c9"}
    assert "c4" not in members(app, tenant, "janes")
    assert _full_evaluation_changes(app, tenant) == {}
    # the segments' counts moved with the rows the batches wrote
    assert _miscounted(app) == {}
