"""Rule test data: customers (in rules.pyeval's shape), their legal entities and segments,
inserted with SQLAlchemy core, and the customers a rule selects, by SQL and by pyeval."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from segments_app.models import (
    AttributeKey,
    Customer,
    CustomerAssignment,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
)
from segments_app.services.rules import wave
from segments_app.services.rules.pyeval import rule_matches
from segments_app.services.rules.sql import SqlContext, rule_condition
from segments_app.services.rules.tree import AttributeTypes, CheckedRule


def seed(
    conn: sa.Connection,
    tenant_id: int,
    customers: Iterable[Mapping[str, Any]],
    legal_entities: Mapping[str, Mapping[str, Any] | None] = {},
    types: AttributeTypes | None = None,
) -> dict[str, int]:
    """Insert everything; answers the segment pks by id (the segments the customers name)."""
    customers = list(customers)
    for id_, attributes in legal_entities.items():
        conn.execute(
            sa.insert(LegalEntity).values(
                tenant_id=tenant_id, id=id_, name=id_, attributes=attributes
            )
        )
    members: dict[str, list[str]] = {}
    for record in customers:
        for segment in sorted(record.get("segments") or ()):
            members.setdefault(segment, []).append(record["id"])
    segment_pks: dict[str, int] = {}
    for id_, ids in members.items():
        segment_pks[id_] = conn.execute(
            sa.insert(Segment)
            .values(
                tenant_id=tenant_id,
                id=id_,
                name={"en": id_},
                site_code="main",
                member_count=len(ids),
            )
            .returning(Segment.pk)
        ).scalar_one()
    for record in customers:
        email = record.get("email")
        pk = conn.execute(
            sa.insert(Customer)
            .values(
                tenant_id=tenant_id,
                id=record["id"],
                email=email,
                email_key=email.lower() if email else None,
                first_name=record.get("firstName"),
                last_name=record.get("lastName"),
                attributes=record.get("attributes"),
            )
            .returning(Customer.pk)
        ).scalar_one()
        for position, entity in enumerate(record.get("legalEntities") or ()):
            conn.execute(
                sa.insert(CustomerLegalEntity).values(
                    customer_pk=pk,
                    legal_entity_id=entity["id"],
                    tenant_id=tenant_id,
                    position=position,
                )
            )
        for segment in record.get("segments") or ():
            conn.execute(
                sa.insert(CustomerAssignment).values(
                    segment_pk=segment_pks[segment], customer_pk=pk, assignment_type="MANUAL"
                )
            )
    if types is not None:
        for owner, keys in (("customer", types.customer), ("legalEntity", types.legal_entity)):
            for key, type_ in keys.items():
                conn.execute(
                    sa.insert(AttributeKey).values(
                        tenant_id=tenant_id, owner=owner, key=key, type=type_
                    )
                )
    return segment_pks


def sql_selects(conn: sa.Connection, rule: CheckedRule, ctx: SqlContext) -> set[str]:
    customer = Customer.__table__
    query = sa.select(customer.c.id).where(
        customer.c.tenant_id == ctx.tenant_id, rule_condition(rule, ctx)
    )
    return set(conn.scalars(query))


def batch_selects(conn: sa.Connection, rule: CheckedRule, ctx: SqlContext) -> set[str]:
    """The customers `rule` selects as a directory batch of all the tenant's customers reads
    it: the statement services.rules.wave compiles once and keeps (the attributes taken out
    once per customer), run with the batch's pks and the relative thresholds as parameters."""
    customer = Customer.__table__
    ids = dict(
        conn.execute(
            sa.select(customer.c.pk, customer.c.id).where(customer.c.tenant_id == ctx.tenant_id)
        ).all()
    )
    session: Any = SimpleNamespace(get_bind=lambda: conn, connection=lambda: conn)
    return {ids[customer_pk] for customer_pk, _ in wave.selected(session, {0: rule}, ctx, ids)}


def python_selects(
    rule: CheckedRule, customers: Iterable[Mapping[str, Any]], now: datetime
) -> set[str]:
    return {record["id"] for record in customers if rule_matches(rule, record, now)}
