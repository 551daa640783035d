"""Applying imports: add, remove and replace; all or nothing; revert; one import per segment;
recovery of imports whose process died."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from segments_app.errors import Conflict
from segments_app.extensions import db
from segments_app.models import (
    Activity,
    CustomerAssignment,
    MemberImport,
    MemberImportRemoval,
    Segment,
)
from segments_app.models.types import utcnow
from segments_app.services import imports
from segments_app.services.assignments.customers import CustomerAssignments
from segments_app.services.imports import engine
from tests.factories import tenant_named
from tests.imports_support import csv_bytes, members, membership, reloaded, run_file, wait_for_jobs

pytestmark = pytest.mark.usefixtures("directory")

B2B_FILE = csv_bytes("customerId,legalEntityId", "c1,le1", "c4,le2", "c3,", "c2,")


def assign(*keys: tuple[str, str | None], segment_id: str = "gold", mixins=None) -> None:
    """Members made by hand (through the assignment service, as the API makes them)."""
    segment = db.session.scalar(select(Segment).where(Segment.id == segment_id))
    batch = CustomerAssignments(tenant_named(), segment, keys)
    for key in keys:
        body = {"mixins": mixins} if mixins else {}
        batch.upsert(key, body)
    db.session.commit()


def test_add_assigns_new_members_as_manual_made_by_the_import():
    assign(("c3", None))
    imp = run_file(B2B_FILE, dry_run=False)
    assert imp.status == "applied", imp.error
    assert imp.counts["membersToAdd"] == 3 and imp.counts["alreadyMembers"] == 1
    assert members() == {("c1", "le1"), ("c4", "le2"), ("c3", None), ("c2", None)}
    made = {(row[0], row[1], row[2], row[8]) for row in membership()}
    assert ("c1", "le1", "MANUAL", imp.pk) in made
    assert ("c3", None, "MANUAL", None) in made, "an existing member stays as it was"


def test_preview_counts_what_apply_then_does():
    assign(("c3", None), ("c1", None))
    preview = run_file(B2B_FILE, mode="replace")
    assert preview.status == "previewed"
    counts = preview.counts
    assert (counts["membersToAdd"], counts["alreadyMembers"], counts["membersToRemove"]) == (
        3,
        1,
        1,
    )
    assert members() == {("c3", None), ("c1", None)}
    applied = imports.start_apply(tenant_named(), "gold", preview.id)
    db.session.commit()
    wait_for_jobs()
    applied = reloaded(applied.pk)
    assert applied.status == "applied"
    assert applied.counts == counts
    assert members() == {("c1", "le1"), ("c4", "le2"), ("c3", None), ("c2", None)}


def test_apply_validates_again_against_the_membership_as_it_is_then():
    preview = run_file(B2B_FILE)
    assert preview.counts["membersToAdd"] == 4
    assign(("c2", None))
    applied = imports.start_apply(tenant_named(), "gold", preview.id)
    db.session.commit()
    wait_for_jobs()
    applied = reloaded(applied.pk)
    assert (applied.counts["membersToAdd"], applied.counts["alreadyMembers"]) == (3, 1)


def test_remove_unassigns_listed_members_and_counts_the_others():
    assign(("c1", "le1"), ("c2", None), ("c3", None))
    imp = run_file(
        csv_bytes("customerId,legalEntityId", "c1,le1", "c2,", "c4,le1", "nobody,"),
        mode="remove",
        dry_run=False,
    )
    assert imp.status == "applied", imp.error
    counts = imp.counts
    assert (counts["membersToRemove"], counts["notMembers"], counts["unknownCustomers"]) == (
        2,
        1,
        1,
    )
    assert counts["rejectedRows"] == 1, "a listed non-member is counted, not rejected"
    assert members() == {("c3", None)}


def test_replace_makes_the_membership_exactly_the_list():
    assign(("c1", None), ("c1", "le1"), ("c2", None))
    imp = run_file(csv_bytes("email", "jane@example.com", "zoe@example.com"), "replace", False)
    assert imp.status == "applied", imp.error
    assert members() == {("c1", None), ("c3", None)}
    assert (imp.counts["membersToAdd"], imp.counts["membersToRemove"]) == (1, 2)


def test_replace_with_no_valid_row_changes_nothing():
    assign(("c1", None))
    imp = run_file(csv_bytes("customerId", "nobody", "ghost"), "replace", False)
    assert imp.status == "failed"
    assert "would remove them all" in imp.error
    assert members() == {("c1", None)}


def test_applying_records_activity_by_the_importer():
    imp = run_file(B2B_FILE, dry_run=False)
    rows = db.session.execute(
        select(Activity.action, Activity.count, Activity.actor).order_by(Activity.id)
    ).all()
    assert ("members.added", 4, imp.created_by) in rows
    assert ("import.applied", 1, imp.created_by) in rows


@pytest.mark.parametrize("step", ["staged", "removed", "added"])
def test_a_failure_during_the_run_leaves_the_segment_exactly_as_it_was(monkeypatch, step):
    assign(("c1", "le1"), ("c2", None), mixins={"note": {"vip": True}})
    before = membership()

    def fail(reached: str) -> None:
        if reached == step:
            raise RuntimeError(f"disk on fire after {reached}")

    monkeypatch.setattr(engine, "checkpoint", fail)
    imp = run_file(csv_bytes("customerId", "c3", "c4", "c2"), "replace", False)
    assert imp.status == "failed"
    assert f"disk on fire after {step}" in imp.error
    assert "nothing was changed" in imp.error
    assert membership() == before
    assert db.session.scalar(select(func.count()).select_from(MemberImportRemoval)) == 0


def test_revert_restores_the_exact_membership_from_before():
    assign(("c1", "le1"), mixins={"loyalty": {"tier": "gold"}})
    assign(("c2", None))
    with db.session.begin():
        db.session.execute(
            update(CustomerAssignment).values(
                assignment_type="AUTOMATIC", version=7, metadata_mixins={"loyalty": "https://x"}
            )
        )
    before = membership()
    imp = run_file(csv_bytes("customerId", "c3", "c2", "müller-01"), "replace", False)
    assert members() == {("c3", None), ("c2", None), ("müller-01", None)}
    reverted = imports.revert_import(tenant_named(), "gold", imp.id)
    db.session.commit()
    assert reverted.status == "reverted"
    assert reverted.counts["revert"] == {
        "membersRemoved": 2,
        "membersRestored": 1,
        "notRestored": 0,
    }
    assert membership() == before
    with pytest.raises(Conflict, match="was reverted already"):
        imports.revert_import(tenant_named(), "gold", imp.id)


def test_revert_is_refused_while_a_later_import_is_applied():
    first = run_file(csv_bytes("customerId", "c1"), dry_run=False)
    second = run_file(csv_bytes("customerId", "c2"), dry_run=False)
    with pytest.raises(Conflict) as refused:
        imports.revert_import(tenant_named(), "gold", first.id)
    assert (
        f"Import {second.id}" in refused.value.message
        and "revert it first" in refused.value.message
    )
    db.session.rollback()
    imports.revert_import(tenant_named(), "gold", second.id)
    imports.revert_import(tenant_named(), "gold", first.id)
    db.session.commit()
    assert members() == set()


def test_an_import_in_another_segment_does_not_block_revert():
    first = run_file(csv_bytes("customerId", "c1"), dry_run=False)
    run_file(csv_bytes("customerId", "c2"), dry_run=False, segment_id="silver")
    imports.revert_import(tenant_named(), "gold", first.id)
    db.session.commit()
    assert members() == set() and members("silver") == {("c2", None)}


def test_a_preview_cannot_be_reverted():
    preview = run_file(csv_bytes("customerId", "c1"))
    with pytest.raises(Conflict, match="never applied"):
        imports.revert_import(tenant_named(), "gold", preview.id)


def test_one_import_per_segment_at_a_time():
    queued = imports.create_import(tenant_named(), "gold", one_row(), "first.csv", enqueue=False)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        imports.create_import(tenant_named(), "gold", one_row(), "second.csv", enqueue=False)
    assert f"Import {queued.id} (first.csv) is queued for segment gold" in refused.value.message
    db.session.rollback()
    imports.create_import(tenant_named(), "silver", one_row(), "other.csv", enqueue=False)
    db.session.commit()


def test_the_database_itself_refuses_a_second_active_import():
    first = imports.create_import(tenant_named(), "gold", one_row(), "a.csv", enqueue=False)
    db.session.commit()
    twin = MemberImport(
        **{
            column.key: getattr(first, column.key)
            for column in MemberImport.__table__.columns
            if column.key not in ("pk", "id")
        },
        id="f" * 24,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_stale_running_import_is_marked_failed_and_its_segment_untouched(app):
    assign(("c1", None))
    before = membership()
    stale = imports.create_import(tenant_named(), "gold", one_row(), "a.csv", enqueue=False)
    fresh = imports.create_import(tenant_named(), "silver", one_row(), "b.csv", enqueue=False)
    stale_pk, fresh_pk = stale.pk, fresh.pk
    stale.status = fresh.status = "running"
    stale.heartbeat_at = utcnow() - timedelta(seconds=app.config["IMPORT_STALE_SECONDS"] + 5)
    db.session.commit()
    imports.recover_interrupted()  # (or the embedded runner's timer, meanwhile)
    stale, fresh = reloaded(stale_pk), reloaded(fresh_pk)
    assert stale.status == "failed"
    assert stale.error.startswith("Interrupted: the process running it stopped.")
    assert fresh.status == "running"
    assert membership() == before
    # the claim of a recovered import fails, so a late job does nothing
    imports.run_import(stale_pk)
    assert reloaded(stale_pk).status == "failed"


def test_a_failed_import_can_be_applied_again(monkeypatch):
    monkeypatch.setattr(engine, "checkpoint", _fail_once())
    imp = run_file(csv_bytes("customerId", "c1"), dry_run=False)
    assert imp.status == "failed"
    again = imports.start_apply(tenant_named(), "gold", imp.id)
    db.session.commit()
    wait_for_jobs()
    assert reloaded(again.pk).status == "applied"
    assert members() == {("c1", None)}


def test_staging_tables_are_gone_after_a_run():
    run_file(csv_bytes("customerId", "c1"))
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
            ).all()
        else:
            names = connection.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relkind = 'r'"
            ).all()
    assert not [name for (name,) in names if name.startswith("import_")]


def _fail_once():
    failed = []

    def checkpoint(step: str) -> None:
        if not failed:
            failed.append(step)
            raise RuntimeError("once")

    return checkpoint


def one_row() -> io.BytesIO:
    return io.BytesIO(csv_bytes("customerId", "c1"))
