"""A rule's evaluation, a member import and API writes on one segment at the same moment, on
PostgreSQL: all of them succeed (none loses a deadlock and retries or fails), and the segment
ends with the members the import listed and those the rule selects. And an evaluation that meets
a member another writer added meanwhile is tried again."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from segments_app.extensions import db
from segments_app.models import MemberImport, RuleEvaluation, Segment
from segments_app.services import imports
from segments_app.services.rules import runs, service
from tests.factories import tenant_named
from tests.imports_support import csv_bytes
from tests.rules_support import add_evaluation, members, save, seed

CUSTOMERS = 600
ROUNDS = 10
#: the rule of each round: the second takes back most of what the first added, and so on
RULES = [
    {"field": "attributes.n", "op": "lt", "value": 400},
    {"field": "attributes.n", "op": "gte", "value": 200},
]


def _id(n: int) -> str:
    return f"c{n:03}"


@pytest.fixture
def postgres_only(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's write lock takes one writer at a time")


def _prepare(app, tenant: str, round_: int) -> tuple[int, int, list[int]]:
    """A replace import of every second customer, queued to run here; a new rule on the segment
    with its evaluation queued; and the customers the API puts (some of the listed)."""
    listed = list(range(round_ % 2, CUSTOMERS, 2))
    with app.app_context():
        created = imports.create_import(
            tenant_named(tenant),
            "gold",
            io.BytesIO(csv_bytes("customerId", *(_id(n) for n in listed))),
            "members.csv",
            "replace",
            dry_run=False,
            enqueue=False,
        )
        segment = db.session.scalar(select(Segment).where(Segment.id == "gold"))
        assert segment is not None
        checked = service.check(segment, {"rule": RULES[round_ % 2]})
        segment.rule = checked.tree
        segment.rule_version += 1
        evaluation = add_evaluation(
            "gold", tenant, state="queued", detail={"ruleVersion": segment.rule_version}
        )
        db.session.commit()
        return created.pk, evaluation.pk, listed


def test_an_evaluation_an_import_and_api_writes_at_once_all_succeed(
    app, api, tenant, import_dir, idle_runner, postgres_only, monkeypatch
):
    seed(app, tenant, {_id(n): {"n": n} for n in range(CUSTOMERS)}, {"n": "number"})
    body = {"id": "gold", "name": {"en": "gold"}, "siteCode": "main", "status": "ACTIVE"}
    assert api.post("/segments", json=body).status_code == 201
    save(api, "gold", RULES[1])
    transient: list[str] = []
    real_transient = runs._transient

    def noted(exc: Exception) -> bool:
        if real_transient(exc):
            transient.append(str(exc))
            return True
        return False

    monkeypatch.setattr(runs, "_transient", noted)
    for round_ in range(ROUNDS):
        import_pk, evaluation_pk, listed = _prepare(app, tenant, round_)
        errors = _at_once(app, api, import_pk, evaluation_pk, listed[::25])
        with app.app_context():
            imp = db.session.get(MemberImport, import_pk)
            evaluation = db.session.get(RuleEvaluation, evaluation_pk)
            assert imp is not None and evaluation is not None
            assert (imp.status, imp.error) == ("applied", None), round_
            assert (evaluation.state, evaluation.error) == ("done", None), round_
        assert not errors, errors
        assert not transient, transient
        selected = {n for n in range(CUSTOMERS) if (n < 400 if round_ % 2 == 0 else n >= 200)}
        found = members(app, tenant, "gold")
        assert set(found) == {_id(n) for n in set(listed) | selected}, round_
        listed_ids = {_id(n) for n in listed}
        assert all(kind == "AUTOMATIC" for key, kind in found.items() if key not in listed_ids)


def _at_once(app, api, import_pk: int, evaluation_pk: int, put: list[int]) -> list[str]:
    """Run the import, the evaluation and the API PUTs of `put` in three threads at once;
    the PUTs that failed."""
    start = threading.Barrier(3)
    errors: list[str] = []

    def run_import() -> None:
        with app.app_context():
            start.wait()
            imports.run_import(import_pk)

    def run_evaluation() -> None:
        with app.app_context():
            start.wait()
            runs.run_evaluation(evaluation_pk)

    def api_writes() -> None:
        with app.app_context():
            start.wait()
            for n in put:
                response = api.put(f"/segments/gold/customers/{_id(n)}")
                if response.status_code not in (201, 204):
                    errors.append(f"PUT {n}: {response.status_code} {response.get_json()}")

    threads = [threading.Thread(target=t) for t in (run_import, run_evaluation, api_writes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_an_evaluation_that_meets_a_member_added_meanwhile_is_tried_again(
    app, api, tenant, monkeypatch
):
    """The evaluation's INSERT (without ON CONFLICT on PostgreSQL) met a member a directory
    batch, which does not take the segment's lock, added at the same moment: a unique
    violation, after which the same work sees that member and skips it."""
    seed(app, tenant, {_id(n): {"n": n} for n in range(3)}, {"n": "number"})
    body = {"id": "gold", "name": {"en": "gold"}, "siteCode": "main", "status": "ACTIVE"}
    assert api.post("/segments", json=body).status_code == 201
    real = runs._evaluate
    calls = []

    class UniqueViolation(Exception):
        sqlstate = "23505"

    def once_violated(pk: int, *progress) -> None:
        calls.append(pk)
        if len(calls) == 1:
            raise IntegrityError("INSERT ...", {}, UniqueViolation("duplicate key value"))
        real(pk, *progress)

    monkeypatch.setattr(runs, "_evaluate", once_violated)
    done = save(api, "gold", RULES[0])
    assert (done["joined"], done["matched"], len(calls)) == (3, 3, 2)
    assert members(app, tenant, "gold") == {_id(n): "AUTOMATIC" for n in range(3)}
