"""Rules that span a batch: unique customer e-mails and a category tree without cycles.

Both look at the database and at the earlier records of the same batch, in request order, and
mark a record that breaks the rule by adding a problem to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ...models import Category, Customer, Tenant
from .batch import Candidate
from .sql import chunks, one_of


def unique_emails(tenant: Tenant, candidates: Sequence[Candidate]) -> None:
    """An e-mail (compared case-insensitively) belongs to one customer of the tenant.

    An e-mail another customer holds in the database is refused even when that customer gives
    it up in the same batch: swapping e-mails takes two requests.
    """
    keys = list({c.record.values["email_key"] for c in candidates} - {None})
    holders: dict[str | None, str] = {}  # email_key is a nullable column
    for part in chunks(keys):
        holders.update(
            db.session.execute(
                select(Customer.email_key, Customer.id).where(
                    Customer.tenant_id == tenant.id, one_of(Customer.email_key, part)
                )
            ).all()
        )
    for candidate in candidates:
        key = candidate.record.values["email_key"]
        if key is None:
            continue
        holder = holders.setdefault(key, candidate.id)
        if holder != candidate.id:
            email = candidate.record.values["email"]
            candidate.problems.append(
                Conflict(
                    f"The e-mail {email} is already used by customer {holder}.",
                    resource_id=candidate.id,
                )
            )


def acyclic(tenant: Tenant, candidates: Sequence[Candidate]) -> None:
    """A category may not become its own ancestor (a parentId equal to its id included)."""
    seeds = list({c.record.values["parent_id"] for c in candidates} - {None})
    stored = stored_parents(tenant, seeds)
    accepted: dict[str, str | None] = {}
    for candidate in candidates:
        parent = candidate.record.values["parent_id"]
        loop = _loop(candidate.id, parent, accepted, stored)
        if loop is None:
            accepted[candidate.id] = parent
            continue
        candidate.problems.append(
            ValidationFailed.field(
                "parentId",
                f"parentId {parent} would make category {candidate.id} its own ancestor: "
                f"{' → '.join(loop)}.",
                "cycle",
            )
        )


def _loop(
    category_id: str,
    parent: str | None,
    accepted: dict[str, str | None],
    stored: dict[str, str | None],
) -> list[str] | None:
    """The path back to `category_id` when it would lie above itself, else None."""
    path, seen = [category_id], set()
    node = parent
    while node is not None:
        path.append(node)
        if node == category_id:
            return path
        if node in seen:
            # a loop elsewhere in old data; not one this record closes
            return None
        seen.add(node)
        node = accepted[node] if node in accepted else stored.get(node)
    return None


def stored_parents(tenant: Tenant, ids: Iterable[str]) -> dict[str, str | None]:
    """parent_id of `ids` and of all their stored ancestors, in one recursive query per chunk."""
    found: dict[str, str | None] = {}
    for part in chunks(list(ids)):
        ancestry = (
            select(Category.id, Category.parent_id)
            .where(Category.tenant_id == tenant.id, one_of(Category.id, part))
            .cte("ancestry", recursive=True)
        )
        above = aliased(Category)
        ancestry = ancestry.union(
            select(above.id, above.parent_id).where(
                above.tenant_id == tenant.id, above.id == ancestry.c.parent_id
            )
        )
        found.update(db.session.execute(select(ancestry.c.id, ancestry.c.parent_id)).all())
    return found
