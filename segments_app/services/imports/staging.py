"""The staging tables of one import run, and the set-based SQL that validates what they hold.

Rows are staged into TEMP tables on the run's own connection: temporary tables write no WAL on
either database and vanish with a crashed process, so a half-staged import leaves nothing
behind. Validation joins the staged rows with the directory in a few statements, whatever the
number of rows: SQLite looks each batch up as it stages it (its joins are index lookups
either way, and this saves a pass); PostgreSQL COPYs the rows first and resolves them all in
one hash join.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ...extensions import rowcount
from .columns import CUSTOMER_ID, EMAIL, LEGAL_ENTITY_ID, Columns
from .parsing import Batch, Problem

#: staged column of each field
COLUMN = {CUSTOMER_ID: "customer_id", EMAIL: "email", LEGAL_ENTITY_ID: "legal_entity_id"}
TABLES = ("import_stage", "import_resolved", "import_key", "import_problem")

#: problem code -> the count it adds to
CATEGORY = {
    "unreadable": "malformedRows",
    "unclosed_quote": "malformedRows",
    "extra_fields": "malformedRows",
    "no_customer": "malformedRows",
    "too_long": "malformedRows",
    "email_mismatch": "malformedRows",
    "unknown_customer": "unknownCustomers",
    "unknown_email": "unknownCustomers",
    "unknown_legal_entity": "notInLegalEntity",
    "not_in_legal_entity": "notInLegalEntity",
    "duplicate": "duplicateRows",
}

DUPLICATES_SQL = (
    "INSERT INTO import_problem (row_no, column_name, code, reason) "
    "SELECT r.row_no, NULL, 'duplicate', "
    "'Duplicate of row ' || CAST(k.row_no AS TEXT) || ': the same customer' "
    "|| CASE WHEN k.le_key <> 0 THEN ' and legal entity.' ELSE '.' END "
    "FROM {resolved} r JOIN import_key k "
    "ON k.customer_pk = r.customer_pk AND k.le_key = r.le_key "
    "WHERE r.code IS NULL AND r.row_no <> k.row_no"
)


@dataclass
class Validation:
    """What validating the staged rows found."""

    #: distinct (customer, legal entity) keys among the valid rows
    keys: int
    #: rejected rows per problem code
    problems: dict[str, int]


class Stage:
    """The staging tables on one connection; subclasses know their database's fast paths."""

    DDL: Sequence[str] = ()
    #: fills import_key: the first row of each valid (customer, legal entity) key
    KEYS_SQL = ""
    #: the table that holds each staged row's customer_pk, le_key and problem code
    RESOLVED = "import_resolved"

    def __init__(self, session: Session, columns: Columns, tenant_id: int):
        self.session = session
        self.columns = columns
        self.tenant_id = tenant_id
        self.fields = [name for name in COLUMN if name in columns.positions]

    @staticmethod
    def for_session(session: Session, columns: Columns, tenant_id: int) -> Stage:
        dialect = session.get_bind().dialect.name
        kind = PostgresStage if dialect == "postgresql" else SqliteStage
        return kind(session, columns, tenant_id)

    def _run(self, sql: str, params: dict | None = None) -> int:
        return rowcount(self.session.execute(text(sql), params or {}))

    def _scalar(self, sql: str, params: dict | None = None) -> int:
        return int(self.session.execute(text(sql), params or {}).scalar() or 0)

    def create(self) -> None:
        self.drop()
        for ddl in self.DDL:
            self._run(ddl)

    def drop(self) -> None:
        for table in TABLES:
            self._run(f"DROP TABLE IF EXISTS {table}")

    def write(self, batch: Batch) -> None:
        """Stage a batch: its rows, and the rows it rejected already."""
        if batch.rows:
            self._write_rows(batch)
        if batch.problems:
            self.session.execute(
                text(
                    "INSERT INTO import_problem (row_no, column_name, code, reason) "
                    "VALUES (:row, :column, :code, :reason)"
                ),
                [_problem_params(problem) for problem in batch.problems],
            )

    def _write_rows(self, batch: Batch) -> None:
        raise NotImplementedError

    def _resolve(self) -> None:
        """Give every staged row its customer_pk, le_key and problem code (if not done)."""

    def _analyze(self) -> None:
        """Let the planner see how big the staged tables are (if it needs telling)."""

    def validate(self) -> Validation:
        """Resolve every staged row to a customer (and legal entity), reject what does not
        resolve, and keep each valid (customer, legal entity) key once, at its first row."""
        self._resolve()
        resolved = self.RESOLVED
        self._run(self._problems_sql(), self._column_names())
        self._run(self.KEYS_SQL)
        self._analyze()
        keys = self._scalar("SELECT count(*) FROM import_key")
        valid = self._scalar(f"SELECT count(*) FROM {resolved} WHERE code IS NULL")
        if keys < valid:
            self._run(DUPLICATES_SQL.format(resolved=resolved))
        problems: dict[str, int] = dict(
            self.session.execute(
                text("SELECT code, count(*) FROM import_problem GROUP BY code")
            ).all()
        )
        return Validation(keys, {code: int(n) for code, n in problems.items()})

    def _column_names(self) -> dict[str, str]:
        return {f"name_{COLUMN[name]}": self.columns.name_of(name) for name in COLUMN}

    def resolve_select(self, source: str, with_values: bool) -> str:
        """SELECT row_no, [the values,] customer_pk, le_key, code FROM `source` (rows with
        row_no and the staged columns), looked up in the directory."""
        has_id = CUSTOMER_ID in self.fields
        has_email = EMAIL in self.fields
        has_entity = LEGAL_ENTITY_ID in self.fields
        joins = []
        cases = []
        if has_id:
            joins.append("LEFT JOIN customer c ON c.tenant_id = :tenant AND c.id = s.customer_id")
            cases.append("WHEN s.customer_id IS NOT NULL AND c.pk IS NULL THEN 'unknown_customer'")
        if has_email:
            # only rows without an id are looked up by e-mail; the others must agree with it
            by_email = "ce.email_key = s.email"
            if has_id:
                by_email += " AND s.customer_id IS NULL"
                cases.append(
                    "WHEN s.customer_id IS NOT NULL AND s.email IS NOT NULL "
                    "AND (c.email_key IS NULL OR c.email_key <> s.email) THEN 'email_mismatch'"
                )
            joins.append(f"LEFT JOIN customer ce ON ce.tenant_id = :tenant AND {by_email}")
            cases.append(
                ("WHEN s.customer_id IS NULL AND " if has_id else "WHEN ")
                + "ce.pk IS NULL THEN 'unknown_email'"
            )
        pk = {
            (True, True): "coalesce(c.pk, ce.pk)",
            (True, False): "c.pk",
            (False, True): "ce.pk",
        }[(has_id, has_email)]
        le_key = "0"
        if has_entity:
            joins.append(
                "LEFT JOIN legal_entity le ON le.tenant_id = :tenant AND le.id = s.legal_entity_id"
            )
            cases.append(
                "WHEN s.legal_entity_id IS NOT NULL AND le.pk IS NULL THEN 'unknown_legal_entity'"
            )
            cases.append(
                "WHEN s.legal_entity_id IS NOT NULL AND NOT EXISTS ("
                "SELECT 1 FROM customer_legal_entity cl "
                f"WHERE cl.customer_pk = {pk} AND cl.legal_entity_id = s.legal_entity_id) "
                "THEN 'not_in_legal_entity'"
            )
            le_key = "coalesce(le.pk, 0)"
        values = "".join(f"s.{COLUMN[name]}, " for name in self.fields) if with_values else ""
        return (
            f"SELECT s.row_no, {values}{pk}, {le_key}, CASE {' '.join(cases)} END "
            f"FROM {source} s {' '.join(joins)}"
        )

    def _problems_sql(self) -> str:
        same = self.RESOLVED == "import_stage"

        def value(field: str) -> str:
            if field not in self.fields:
                return "NULL"
            return f"{'r' if same else 's'}.{COLUMN[field]}"

        who = f"coalesce({value(CUSTOMER_ID)}, {value(EMAIL)})"
        join = "" if same else "JOIN import_stage s ON s.row_no = r.row_no "
        return (
            "INSERT INTO import_problem (row_no, column_name, code, reason) "
            "SELECT r.row_no, CASE "
            "WHEN r.code = 'unknown_customer' THEN :name_customer_id "
            "WHEN r.code IN ('unknown_email', 'email_mismatch') THEN :name_email "
            "ELSE :name_legal_entity_id END, r.code, CASE r.code "
            f"WHEN 'unknown_customer' THEN 'Customer ' || {value(CUSTOMER_ID)} "
            "|| ' is not in the directory.' "
            f"WHEN 'unknown_email' THEN 'No customer has the e-mail ' || {value(EMAIL)} || '.' "
            f"WHEN 'email_mismatch' THEN 'The e-mail ' || {value(EMAIL)} "
            f"|| ' is not that of customer ' || {value(CUSTOMER_ID)} || '.' "
            f"WHEN 'unknown_legal_entity' THEN 'Legal entity ' || {value(LEGAL_ENTITY_ID)} "
            "|| ' is not in the directory.' "
            f"ELSE 'Customer ' || {who} || ' does not belong to legal entity ' "
            f"|| {value(LEGAL_ENTITY_ID)} || '.' END "
            f"FROM {self.RESOLVED} r {join}WHERE r.code IS NOT NULL"
        )


def _problem_params(problem: Problem) -> dict:
    return {
        "row": problem.row,
        "column": problem.column,
        "code": problem.code,
        "reason": problem.reason,
    }


class SqliteStage(Stage):
    """SQLite: a batch crosses into SQLite as one JSON text that `json_each` unpacks (far
    cheaper than binding rows one by one with executemany), and is looked up in the directory
    in the same statement."""

    DDL = (
        "CREATE TEMP TABLE import_stage (row_no INTEGER PRIMARY KEY, customer_id TEXT, "
        "email TEXT, legal_entity_id TEXT, customer_pk INTEGER, le_key INTEGER, code TEXT)",
        "CREATE TEMP TABLE import_key (customer_pk INTEGER NOT NULL, le_key INTEGER NOT NULL, "
        "row_no INTEGER NOT NULL, PRIMARY KEY (customer_pk, le_key)) WITHOUT ROWID",
        "CREATE TEMP TABLE import_problem (row_no INTEGER PRIMARY KEY, column_name TEXT, "
        "code TEXT NOT NULL, reason TEXT NOT NULL)",
    )
    RESOLVED = "import_stage"
    # in key order, so that the apply inserts into customer_assignment's indexes in their own
    # order; sorting by row too keeps each key's first row (sorting beats grouping here)
    KEYS_SQL = (
        "INSERT INTO import_key (customer_pk, le_key, row_no) "
        "SELECT customer_pk, le_key, row_no FROM import_stage WHERE code IS NULL "
        "ORDER BY customer_pk, le_key, row_no ON CONFLICT DO NOTHING"
    )

    def _write_rows(self, batch: Batch) -> None:
        columns = [COLUMN[name] for name in self.fields]
        values = [batch.values[name] for name in self.fields]
        if batch.contiguous and len(columns) == 1:
            data = json.dumps(values[0])
            source = f"(SELECT :first + key AS row_no, nullif(value, '') AS {columns[0]} "
        else:
            data = json.dumps(list(zip(batch.rows, *values, strict=True)))
            picks = ", ".join(
                f"nullif(value ->> {n}, '') AS {column}" for n, column in enumerate(columns, 1)
            )
            source = f"(SELECT value ->> 0 AS row_no, {picks} "
        source += "FROM json_each(:data))"
        self.session.execute(
            text(
                f"INSERT INTO import_stage (row_no, {', '.join(columns)}, customer_pk, le_key, "
                f"code) {self.resolve_select(source, with_values=True)}"
            ),
            {"first": batch.first_row, "data": data, "tenant": self.tenant_id},
        )


class PostgresStage(Stage):
    """PostgreSQL: rows arrive by COPY (the text of a clean batch is built with C-level
    joins), and are resolved together by hash joins once all are in."""

    DDL = (
        "CREATE TEMP TABLE import_stage (row_no bigint NOT NULL, customer_id text, "
        "email text, legal_entity_id text)",
        "CREATE TEMP TABLE import_resolved (row_no bigint NOT NULL, customer_pk integer, "
        "le_key integer NOT NULL, code text)",
        "CREATE TEMP TABLE import_key (customer_pk integer NOT NULL, le_key integer NOT NULL, "
        "row_no bigint NOT NULL)",
        "CREATE TEMP TABLE import_problem (row_no bigint NOT NULL, column_name text, "
        "code text NOT NULL, reason text NOT NULL)",
    )
    # sorting beats hashing a million groups, and leaves the keys in index order
    KEYS_SQL = (
        "INSERT INTO import_key (customer_pk, le_key, row_no) "
        "SELECT DISTINCT ON (customer_pk, le_key) customer_pk, le_key, row_no "
        "FROM import_resolved WHERE code IS NULL ORDER BY customer_pk, le_key, row_no"
    )

    @staticmethod
    def _copy_text(batch: Batch, values: list[list[str]]) -> str | None:
        """COPY's text for the batch, or None when a value needs COPY's escapes (a backslash,
        tab or line break: rare, so those batches go row by row)."""
        lines = map("\t".join, zip(map(str, batch.rows), *values, strict=True))
        blob = "\n".join(lines) + "\n"
        rows = len(batch.rows)
        if (
            "\\" in blob
            or "\r" in blob
            or blob.count("\n") != rows
            or blob.count("\t") != rows * len(values)
        ):
            return None
        return blob

    def _write_rows(self, batch: Batch) -> None:
        columns = ", ".join(["row_no", *(COLUMN[name] for name in self.fields)])
        values = [batch.values[name] for name in self.fields]
        payload = self._copy_text(batch, values)
        driver = self.session.connection().connection.driver_connection
        assert driver is not None  # None only once the connection is closed
        cursor = driver.cursor()
        # NULL '': an empty value is missing, as it is on the SQLite side
        with cursor.copy(f"COPY import_stage ({columns}) FROM STDIN (NULL '')") as copy:
            if payload is None:
                for row in zip(batch.rows, *values, strict=True):
                    copy.write_row(row)
            else:
                copy.write(payload)

    def _resolve(self) -> None:
        self._run("ANALYZE import_stage")
        select = self.resolve_select("import_stage", with_values=False)
        self._run(
            f"INSERT INTO import_resolved (row_no, customer_pk, le_key, code) {select}",
            {"tenant": self.tenant_id},
        )
        self._run("ANALYZE import_resolved")

    def _analyze(self) -> None:
        self._run("ANALYZE import_key")
