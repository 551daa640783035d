"""The statements that change a segment's membership: apply an import, revert it.

Each runs inside one transaction that its caller commits. An import records what it changed
in two places: the assignments it added carry its pk in `import_id`, and the assignments it
removed are copied, every column, into member_import_removal. Revert undoes exactly that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from ...extensions import DbSession, rowcount
from ...models.types import UTCDateTime

#: a staged key matches an assignment: same customer, same legal entity (0 for B2C)
_SAME_KEY = "k.customer_pk = a.customer_pk AND k.le_key = coalesce(a.legal_entity_pk, 0)"
_KEPT = (
    "customer_pk",
    "legal_entity_pk",
    "assignment_type",
    "mixins",
    "metadata_mixins",
    "version",
    "created_at",
    "modified_at",
)
_COLUMNS = ", ".join(_KEPT)


def _of(alias: str) -> str:
    return ", ".join(f"{alias}.{column}" for column in _KEPT)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def add_members(session: Session, segment_pk: int, import_pk: int, now: datetime) -> int:
    """Assign every staged key that is not a member yet; MANUAL, made by this import."""
    stmt = text(
        "INSERT INTO customer_assignment (segment_pk, customer_pk, legal_entity_pk, "
        "assignment_type, version, created_at, modified_at, import_id) "
        "SELECT :segment, k.customer_pk, nullif(k.le_key, 0), 'MANUAL', 1, :now, :now, :import "
        "FROM import_key k WHERE NOT EXISTS (SELECT 1 FROM customer_assignment a "
        f"WHERE a.segment_pk = :segment AND {_SAME_KEY}) "
        # in index order: SQLite appends to its b-trees instead of inserting all over them
        "ORDER BY k.customer_pk, k.le_key "
        # a rule's evaluation may assign the same customer meanwhile (PostgreSQL): it stays
        "ON CONFLICT DO NOTHING"
    ).bindparams(bindparam("now", type_=UTCDateTime))
    result = session.execute(stmt, {"segment": segment_pk, "now": now, "import": import_pk})
    return rowcount(result)


def remove_members(session: Session, segment_pk: int, import_pk: int, listed: bool) -> int:
    """Unassign the members that are (`listed`) or are not (replace) among the staged keys,
    keeping a full copy of each removed assignment for revert."""
    which = "EXISTS" if listed else "NOT EXISTS"
    params = {"segment": segment_pk, "import": import_pk}
    copy_columns = f"import_pk, {_COLUMNS}, assignment_import_id"
    picked = _of("a")
    if _is_postgres(session):
        # one statement: the rows deleted are exactly the rows copied, whatever commits meanwhile
        result = session.execute(
            text(
                "WITH gone AS (DELETE FROM customer_assignment a "
                f"WHERE a.segment_pk = :segment AND {which} (SELECT 1 FROM import_key k "
                f"WHERE {_SAME_KEY}) RETURNING a.*) "
                f"INSERT INTO member_import_removal ({copy_columns}) "
                f"SELECT :import, {picked}, a.import_id FROM gone a"
            ),
            params,
        )
        return rowcount(result)
    # SQLite: this transaction holds the write lock, so the three statements see one state
    session.execute(text("DROP TABLE IF EXISTS import_gone"))
    session.execute(
        text(
            "CREATE TEMP TABLE import_gone AS SELECT a.pk FROM customer_assignment a "
            f"WHERE a.segment_pk = :segment AND {which} (SELECT 1 FROM import_key k "
            f"WHERE {_SAME_KEY})"
        ),
        params,
    )
    session.execute(
        text(
            f"INSERT INTO member_import_removal ({copy_columns}) "
            f"SELECT :import, {picked}, a.import_id FROM customer_assignment a "
            "WHERE a.pk IN (SELECT pk FROM import_gone)"
        ),
        params,
    )
    result = session.execute(
        text("DELETE FROM customer_assignment WHERE pk IN (SELECT pk FROM import_gone)")
    )
    removed = rowcount(result)
    session.execute(text("DROP TABLE import_gone"))
    return removed


def count_members_listed(session: Session, segment_pk: int) -> int:
    """How many staged keys are members already."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM import_key k WHERE EXISTS (SELECT 1 FROM "
                f"customer_assignment a WHERE a.segment_pk = :segment AND {_SAME_KEY})"
            ),
            {"segment": segment_pk},
        ).scalar()
        or 0
    )


def count_members_unlisted(session: Session, segment_pk: int) -> int:
    """How many members are not among the staged keys (what a replace would remove)."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM customer_assignment a WHERE a.segment_pk = :segment "
                f"AND NOT EXISTS (SELECT 1 FROM import_key k WHERE {_SAME_KEY})"
            ),
            {"segment": segment_pk},
        ).scalar()
        or 0
    )


def undo_additions(session: DbSession, segment_pk: int, import_pk: int) -> int:
    """Unassign what the import assigned (and nobody has removed since)."""
    result = session.execute(
        text("DELETE FROM customer_assignment WHERE segment_pk = :segment AND import_id = :import"),
        {"segment": segment_pk, "import": import_pk},
    )
    return rowcount(result)


def restore_removals(session: DbSession, segment_pk: int, import_pk: int) -> tuple[int, int]:
    """Put back, column for column, what the import removed; (restored, not restored).

    Not restored: an assignment somebody made again since, which stays as it is now. (One
    whose customer or legal entity left the directory went with it, by cascade.)
    """
    params = {"segment": segment_pk, "import": import_pk}
    total = int(
        session.execute(
            text("SELECT count(*) FROM member_import_removal WHERE import_pk = :import"), params
        ).scalar()
        or 0
    )
    kept = ", ".join(f"k.{column}" for column in _KEPT)
    result = session.execute(
        text(
            f"INSERT INTO customer_assignment (segment_pk, {_COLUMNS}, import_id) "
            f"SELECT :segment, {kept}, (SELECT i.pk FROM member_import i "
            "WHERE i.pk = k.assignment_import_id) "
            "FROM member_import_removal k WHERE k.import_pk = :import "
            "AND NOT EXISTS (SELECT 1 FROM customer_assignment a "
            "WHERE a.segment_pk = :segment AND a.customer_pk = k.customer_pk "
            "AND coalesce(a.legal_entity_pk, 0) = coalesce(k.legal_entity_pk, 0)) "
            "ORDER BY k.customer_pk"
        ),
        params,
    )
    restored = rowcount(result)
    session.execute(text("DELETE FROM member_import_removal WHERE import_pk = :import"), params)
    return restored, total - restored
