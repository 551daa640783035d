"""The one way directory records are written, by the API and by the import: a set-based upsert.

Each record is checked on its own; the valid ones are written together with a few statements
(INSERT ... ON CONFLICT DO UPDATE, then the link tables replaced), and the database is read with
one IN query per table, never once per record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, NamedTuple

from sqlalchemy import delete, literal_column, select
from sqlalchemy.exc import IntegrityError

from ...errors import AppError, Conflict
from ...extensions import db
from ...models import Tenant
from ...models.types import utcnow
from .. import attributes
from ..documents import MSG_CHANGED
from ..rules.triggers import changed_fields, evaluate_records
from .batch import Candidate, Stored
from .kinds import CATEGORY, CUSTOMER, DirectoryKind, kind_named
from .prepare import prepare
from .rules import acyclic, unique_emails
from .sql import chunks, dialect_insert, execute_many, one_of


class RecordResult(NamedTuple):
    """What became of one record: 201 created, 204 updated (or unchanged), else an error."""

    #: where the record stands in the batch (not `index`, which would hide tuple.index)
    position: int
    id: str | None
    status: int
    #: whether the stored record changed (always True for 201)
    changed: bool = False
    error: AppError | None = None

    @property
    def ok(self) -> bool:
        """Whether the record was accepted (written, or already as sent)."""
        return self.error is None

    @property
    def message(self) -> str | None:
        """The error in one line: its message and the message of each detail."""
        if self.error is None:
            return None
        parts = [d["message"] for d in self.error.details or []]
        if self.error.message not in parts:
            parts.insert(0, self.error.message)
        return " ".join(parts)

    @property
    def status_text(self) -> str:
        """The reason phrase of a 207 entry; the contract's examples call an update "OK"."""
        return "OK" if self.status == 204 else HTTPStatus(self.status).phrase


def upsert_records(
    tenant: Tenant, kind: str, records: Sequence[Any], content_lang: str | None = ""
) -> list[RecordResult]:
    """Create or replace `records` of `kind`; one result per record, in the same order.

    A record whose id appears earlier in `records` is applied after the others, as if it came
    in a later request, so every statement touches each row once.
    """
    spec = kind_named(kind)
    results: dict[int, RecordResult] = {}
    for indexes in _rounds(records):
        for result in _upsert_round(tenant, spec, records, indexes, content_lang):
            results[result.position] = result
    return [results[index] for index in range(len(records))]


def _rounds(records: Sequence[Any]) -> Iterator[list[int]]:
    seen: Counter[Any] = Counter()
    rounds: list[list[int]] = []
    for index, record in enumerate(records):
        key = record.get("id") if type(record) is dict else None
        occurrence = 0
        if type(key) is str:
            occurrence = seen[key]
            seen[key] += 1
        while len(rounds) <= occurrence:
            rounds.append([])
        rounds[occurrence].append(index)
    return iter(rounds)


def _record_id(record: Any) -> str | None:
    value = record.get("id") if type(record) is dict else None
    return value if type(value) is str else None


def _upsert_round(
    tenant: Tenant,
    spec: DirectoryKind,
    records: Sequence[Any],
    indexes: list[int],
    content_lang: str | None,
) -> list[RecordResult]:
    results: list[RecordResult] = []
    candidates: list[Candidate] = []
    for index in indexes:
        try:
            record = prepare(tenant, spec, records[index], content_lang)
            candidates.append(Candidate(index, record, record.id))
        except AppError as exc:
            results.append(RecordResult(index, _record_id(records[index]), exc.status, error=exc))
    stored = _stored(tenant, spec, [c.id for c in candidates])
    for candidate in candidates:
        candidate.stored = stored.get(candidate.id)
        sent = candidate.record.version
        if candidate.stored is not None and sent is not None and sent != candidate.stored.version:
            candidate.problems.append(
                Conflict(
                    f"{MSG_CHANGED} {spec.label.capitalize()} {candidate.id}: you sent version "
                    f"{sent}; the stored version is {candidate.stored.version}.",
                    resource_id=candidate.id,
                )
            )
    ready = [c for c in candidates if not c.problems]
    if spec is CUSTOMER:
        unique_emails(tenant, ready)
    elif spec is CATEGORY:
        acyclic(tenant, ready)
    ledger = _check_attributes(tenant, spec, candidates)
    for candidate in candidates:
        if candidate.problems:
            error = candidate.problems[0]
            results.append(RecordResult(candidate.index, candidate.id, error.status, error=error))
    valid = [c for c in candidates if not c.problems]
    _write(tenant, spec, valid)
    if ledger is not None:
        ledger.save()
    written = [c for c in valid if c.changed]
    fields = changed_fields(spec.name, [(c.stored, c.record) for c in written])
    # the stored customers' pks are known: only new ones are looked up
    known = {c.id: c.stored.pk for c in written if c.stored is not None and spec is CUSTOMER}
    evaluate_records(tenant, spec.name, [c.id for c in written], fields, known)
    results.extend(
        RecordResult(c.index, c.id, 204 if c.stored else 201, changed=c.changed) for c in valid
    )
    return results


def _check_attributes(
    tenant: Tenant, spec: DirectoryKind, candidates: list[Candidate]
) -> attributes.KeyLedger | None:
    """Refuse values of another type than their key holds; the records that pass fix the type
    of new keys in batch order. Runs last, so only records otherwise written fix a type."""
    if spec.attribute_owner is None:
        return None
    ledger = attributes.KeyLedger.load(tenant.id, spec.attribute_owner)
    for candidate in candidates:
        if not candidate.problems:
            problem = ledger.check(candidate.record.values["attributes"])
            if problem is not None:
                candidate.problems.append(problem)
    return ledger


def _stored(tenant: Tenant, spec: DirectoryKind, ids: Sequence[str]) -> dict[str, Stored]:
    """The stored rows (and links) of `ids`: one query per table."""
    table = spec.model.__table__
    columns = [table.c[name] for name in spec.columns]
    rows: dict[str, tuple] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        query = select(table.c.id, table.c.pk, table.c.version, *columns).where(
            table.c.tenant_id == tenant.id, one_of(table.c.id, part)
        )
        rows.update((row[0], tuple(row[1:])) for row in db.session.execute(query))
    links = _stored_links(spec, [row[0] for row in rows.values()])
    return {
        record_id: Stored(
            pk,
            version,
            dict(zip(spec.columns, values, strict=True)),
            links.get(pk, ()) if spec.links else None,
        )
        for record_id, (pk, version, *values) in rows.items()
    }


def _stored_links(spec: DirectoryKind, pks: list[int]) -> dict[int, tuple[str, ...]]:
    if spec.links is None or not pks:
        return {}
    table = spec.links.model.__table__
    owner, target = table.c[spec.links.owner], table.c[spec.links.target]
    found: dict[int, list[str]] = {}
    for part in chunks(pks):
        query = select(owner, target).where(one_of(owner, part)).order_by(owner, table.c.position)
        for pk, linked in db.session.execute(query):
            found.setdefault(pk, []).append(linked)
    return {pk: tuple(ids) for pk, ids in found.items()}


def _write(tenant: Tenant, spec: DirectoryKind, candidates: Iterable[Candidate]) -> None:
    changed = [c for c in candidates if c.changed]
    if not changed:
        return
    table = spec.model.__table__
    stmt = dialect_insert(
        table, ("tenant_id", "id", "version", "created_at", "modified_at", *spec.columns)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.tenant_id, table.c.id],
        set_={
            **{name: stmt.excluded[name] for name in spec.columns},
            # a literal: every bound parameter has to come from the rows (see execute_many)
            "version": table.c.version + literal_column("1"),
            "modified_at": stmt.excluded.modified_at,
        },
    )
    now = utcnow()
    shared = {"tenant_id": tenant.id, "version": 1, "created_at": now, "modified_at": now}
    try:
        with db.session.begin_nested():
            execute_many(stmt, shared, [{"id": c.id, **c.record.values} for c in changed])
            if spec.links is not None:
                _relink(tenant, spec, changed)
    except IntegrityError:
        # only a writer racing this one gets here: the checks above saw no clash
        raise Conflict(
            f"Other {spec.label} records changed while these were being written; "
            "repeat the request."
        ) from None
    _expire(spec)


def _relink(tenant: Tenant, spec: DirectoryKind, changed: list[Candidate]) -> None:
    """Replace the link rows of the records whose links changed."""
    links = spec.links
    assert links is not None
    relinked = [c for c in changed if c.record.links != (c.stored.links if c.stored else ())]
    table = links.model.__table__
    owner = table.c[links.owner]
    pks = {c.id: c.stored.pk for c in relinked if c.stored is not None}
    for part in chunks(list(pks.values())):
        db.session.execute(delete(table).where(one_of(owner, part)))
    created = [c.id for c in relinked if c.stored is None and c.record.links]
    model = spec.model.__table__
    for part in chunks(created):
        pks.update(
            db.session.execute(
                select(model.c.id, model.c.pk).where(
                    model.c.tenant_id == tenant.id, one_of(model.c.id, part)
                )
            ).all()
        )
    rows = [
        {links.owner: pks[c.id], links.target: linked, "position": n}
        for c in relinked
        for n, linked in enumerate(c.record.links or ())
    ]
    stmt = dialect_insert(table, (links.owner, links.target, "tenant_id", "position"))
    execute_many(stmt, {"tenant_id": tenant.id}, rows)


def _expire(spec: DirectoryKind) -> None:
    """Loaded instances of the kind no longer match their rows; reload them on next use."""
    models = (spec.model, spec.links.model) if spec.links else (spec.model,)
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, models):
            db.session.expire(instance)
