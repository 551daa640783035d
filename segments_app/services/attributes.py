"""Customer and legal entity attributes: the tenant's own facts that rules segment on.

An `attributes` object is checked and put in canonical form on its own (`canonical`), then the
records of a batch are checked against the types their keys hold (`KeyLedger`), which is also
what keeps the tenant's attribute_key rows (type and example values) up to date, set-based.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from ..errors import AppError, ValidationFailed
from ..extensions import db
from ..limits import (
    ATTRIBUTE_KEY_PATTERN,
    ATTRIBUTE_TAG_MAX_LENGTH,
    ATTRIBUTE_TAGS_MAX,
    ATTRIBUTE_TEXT_MAX_LENGTH,
    ATTRIBUTES_MAX,
    ATTRIBUTES_MAX_BYTES,
)
from ..models import AttributeKey
from ..models.types import isoformat, utcnow

#: distinct values an attribute key keeps for the rule editor
EXAMPLES_MAX = 5
#: the largest whole number stored exactly as a JSON number on both databases
INTEGER_MAX = 2**53
_KEY = re.compile(ATTRIBUTE_KEY_PATTERN)
#: keys that matched _KEY already (a tenant uses a few dozen), up to a bound
_GOOD_KEYS: set[str] = set()
_GOOD_KEYS_MAX = 10_000
_NUMBERS = (int, float)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$"
)

#: how messages name a type: what a key holds, and what one value is
_PLURAL = {
    "string": "text",
    "number": "numbers",
    "boolean": "true or false",
    "date": "dates",
    "datetime": "date-times",
    "tags": "lists of text (tags)",
}
_SINGULAR = {
    "string": "text",
    "number": "a number",
    "boolean": "a boolean",
    "date": "a date",
    "datetime": "a date-time",
    "tags": "a list of text",
}


@dataclass(frozen=True)
class AttributeKeyInfo:
    """One attribute key of a tenant, as the rule editor and the API show it."""

    owner: str
    key: str
    type: str
    examples: list

    def document(self) -> dict:
        return {"owner": self.owner, "key": self.key, "type": self.type, "examples": self.examples}


def _shown(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 4] + '..."'


def _problem(path: str, message: str, type_: str = "invalid") -> dict[str, str]:
    return {"field": path, "type": type_, "message": message}


def _failed(problems: list[dict[str, str]]) -> ValidationFailed:
    # one problem is its own message, as ValidationFailed.field makes it
    return ValidationFailed(problems, problems[0]["message"] if len(problems) == 1 else None)


def _canonical_text(path: str, value: str, problems: list[dict[str, str]]) -> str:
    """Text as given, except that a date or date-time becomes its canonical form."""
    if len(value) > ATTRIBUTE_TEXT_MAX_LENGTH:
        problems.append(
            _problem(
                path,
                f"{path} has {len(value):,} characters; at most "
                f"{ATTRIBUTE_TEXT_MAX_LENGTH:,} are allowed.",
                "maxLength",
            )
        )
        return value
    if _DATE.match(value):
        try:
            date.fromisoformat(value)  # the pattern has its form; is it a day of the calendar?
            return value
        except ValueError:
            problems.append(_problem(path, f"{path}: {value} is not a calendar date.", "format"))
            return value
    if _DATE_TIME.match(value):
        try:
            parsed = datetime.fromisoformat(value.upper())
        except ValueError:
            problems.append(_problem(path, f"{path}: {value} is not a valid date-time.", "format"))
            return value
        if parsed.tzinfo is None:
            problems.append(
                _problem(
                    path,
                    f"{path}: the date-time {value} has no time zone; add Z (UTC) or an offset "
                    "such as +01:00.",
                    "format",
                )
            )
            return value
        if parsed.utcoffset() or len(value) != 24 or value[19] != "." or value[-1] != "Z":
            return isoformat(parsed) or value
    return value


def _other_value(path: str, value: Any, problems: list[dict[str, str]]) -> Any:
    """A number out of bounds, or a value of no attribute type: its problem."""
    kind = type(value)
    if kind is int:
        problems.append(
            _problem(path, f"{path} is beyond ±2^53, the largest exact number.", "bounds")
        )
    elif kind is float:
        if not math.isfinite(value):
            problems.append(_problem(path, f"{path} must be a finite number.", "type"))
    elif kind is dict:
        message = f"{path} is an object; attributes do not nest (use flat keys such as {path}Name)."
        problems.append(_problem(path, message, "type"))
    else:
        message = f"{path} must be text, a number, true or false, a date or a list of text."
        problems.append(_problem(path, message, "type"))
    return value


def _canonical_tags(path: str, value: list, problems: list[dict[str, str]]) -> list[str]:
    if len(value) > ATTRIBUTE_TAGS_MAX:
        problems.append(
            _problem(
                path,
                f"{path} has {len(value):,} elements; at most {ATTRIBUTE_TAGS_MAX} are allowed.",
                "maxItems",
            )
        )
        return value
    fits = True
    for n, tag in enumerate(value):
        fits = fits and type(tag) is str and len(tag) <= ATTRIBUTE_TAG_MAX_LENGTH
        if type(tag) is not str:
            problems.append(
                _problem(
                    f"{path}[{n}]",
                    f"{path}[{n}] is {_shown(tag)}; a list attribute holds text only (tags).",
                    "type",
                )
            )
        elif len(tag) > ATTRIBUTE_TAG_MAX_LENGTH:
            problems.append(
                _problem(
                    f"{path}[{n}]",
                    f"{path}[{n}] has {len(tag):,} characters; a tag has at most "
                    f"{ATTRIBUTE_TAG_MAX_LENGTH}.",
                    "maxLength",
                )
            )
    return list(dict.fromkeys(value)) if fits else value


def canonical(attributes: Any, path: str = "attributes") -> dict | None:
    """`attributes` checked against the limits and in canonical form (None when empty).

    null values and empty lists are dropped (absent), date-times become UTC with milliseconds
    and `Z`, tags lose their repeats; raises ValidationFailed with one detail per problem.
    An import checks millions of these, so the common cases take the short paths.
    """
    if attributes is None:
        return None
    if type(attributes) is not dict:
        raise ValidationFailed.field(path, f"{path} must be a JSON object of keys and values.")
    problems: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    #: at least the bytes of `out` as JSON (a character takes at most 6, as an escape), so the
    #: object is serialized to measure it only when it may be too big
    bound = 2
    for key, value in attributes.items():
        if key not in _GOOD_KEYS:
            if type(key) is not str or not _KEY.match(key):
                where = f"{path}.{key}"
                message = (
                    f"{where}: a key starts with a letter and has at most 64 letters, digits "
                    "and underscores."
                )
                problems.append(_problem(where, message, "pattern"))
                continue
            if len(_GOOD_KEYS) < _GOOD_KEYS_MAX:
                _GOOD_KEYS.add(key)
        kind = type(value)
        if kind is str:
            if len(value) >= 10 and (value[4:5] == "-" or len(value) > ATTRIBUTE_TEXT_MAX_LENGTH):
                value = _canonical_text(f"{path}.{key}", value, problems)
            bound += 6 * len(value)
        elif kind is bool or (
            (kind is int or kind is float) and -INTEGER_MAX <= value <= INTEGER_MAX
        ):
            bound += 24
        elif value is None:
            continue
        elif kind is list:
            if not value:
                continue
            value = _canonical_tags(f"{path}.{key}", value, problems)
            bound += 6 * sum(map(len, value)) + 3 * len(value) if not problems else 0
        else:
            value = _other_value(f"{path}.{key}", value, problems)
            bound += 24
        out[key] = value
        bound += len(key) + 4
    if len(out) > ATTRIBUTES_MAX:
        problems.append(
            _problem(
                path,
                f"{path} has {len(out)} keys; at most {ATTRIBUTES_MAX} are allowed.",
                "maxProperties",
            )
        )
    if not problems and bound > ATTRIBUTES_MAX_BYTES:
        size = len(json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode())
        if size > ATTRIBUTES_MAX_BYTES:
            problems.append(
                _problem(
                    path,
                    f"{path} takes {size:,} bytes as JSON; at most {ATTRIBUTES_MAX_BYTES:,} "
                    "are allowed.",
                    "bounds",
                )
            )
    if problems:
        raise _failed(problems)
    return out or None


def value_type(value: Any) -> str:
    """The type a canonical value gives a key that has none yet."""
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int or kind is float:
        return "number"
    if kind is list:
        return "tags"
    # canonical dates and date-times have one length each
    if len(value) == 10 and _DATE.match(value):
        return "date"
    if len(value) == 24 and _DATE_TIME.match(value):
        return "datetime"
    return "string"


def _fits(held: str, found: str) -> bool:
    # a date or date-time is also text; the other way round it is not, nor a date a date-time
    return held == found or (held == "string" and found in ("date", "datetime"))


def _mismatch(path: str, key: str, held: str, found: str, value: Any) -> str:
    where = f"{path}.{key}"
    message = f"{where} holds {_PLURAL[held]}; {_shown(value)} is {_SINGULAR[found]}."
    if held == "datetime" and found == "date":
        message += f" Send a date-time such as {value}T00:00:00Z."
    elif held == "date" and found == "datetime":
        message += f" Send a date such as {value[:10]}."
    return message


@dataclass
class _Key:
    type: str
    examples: list
    pk: int | None = None
    changed: bool = False


@dataclass
class KeyLedger:
    """The attribute keys of one tenant and owner while a batch is checked and written.

    `load` reads them with one query; `check` fixes the type of new keys in batch order and
    refuses values of another type; `save` writes new keys with one INSERT and changed
    examples with one UPDATE run for many rows.
    """

    tenant_id: int
    owner: str
    keys: dict[str, _Key] = field(default_factory=dict)

    @classmethod
    def load(cls, tenant_id: int, owner: str) -> KeyLedger:
        rows = db.session.execute(
            select(
                AttributeKey.key, AttributeKey.type, AttributeKey.examples, AttributeKey.pk
            ).where(AttributeKey.tenant_id == tenant_id, AttributeKey.owner == owner)
        )
        keys = {key: _Key(type_, list(examples or ()), pk) for key, type_, examples, pk in rows}
        return cls(tenant_id, owner, keys)

    def check(self, attributes: dict | None, path: str = "attributes") -> AppError | None:
        """The record's type problems (None when it fits); a record that fits is noted."""
        if not attributes:
            return None
        problems = []
        keys = self.keys
        for key, value in attributes.items():
            known = keys.get(key)
            if known is None or (known.type == "string" and type(value) is str):
                continue  # new keys take the type of their value; any text fits a text key
            found = value_type(value)
            if not _fits(known.type, found):
                message = _mismatch(path, key, known.type, found, value)
                problems.append(_problem(f"{path}.{key}", message, "type"))
        if problems:
            return _failed(problems)
        for key, value in attributes.items():
            known = keys.get(key)
            if known is None:
                known = keys[key] = _Key(value_type(value), [], changed=True)
            if len(known.examples) < EXAMPLES_MAX:
                for example in value if type(value) is list else (value,):
                    if example not in known.examples and len(known.examples) < EXAMPLES_MAX:
                        known.examples.append(example)
                        known.changed = True
        return None

    def save(self) -> None:
        """Write the new keys and the examples that grew (the caller's transaction)."""
        # imported here: the directory package imports this module while it loads
        from .directory.sql import dialect_insert, execute_many

        new = [(key, k) for key, k in self.keys.items() if k.pk is None]
        grown = [k for k in self.keys.values() if k.pk is not None and k.changed]
        if new:
            table = AttributeKey.__table__
            stmt = dialect_insert(
                table, ("tenant_id", "owner", "key", "type", "examples", "created_at")
            ).on_conflict_do_nothing(index_elements=["tenant_id", "owner", "key"])
            shared = {"tenant_id": self.tenant_id, "owner": self.owner, "created_at": utcnow()}
            execute_many(
                stmt,
                shared,
                [{"key": key, "type": k.type, "examples": k.examples} for key, k in new],
            )
        if grown:
            stmt = (
                update(AttributeKey.__table__)
                .where(AttributeKey.__table__.c.pk == bindparam("b_pk"))
                .values(examples=bindparam("b_examples"))
            )
            db.session.execute(stmt, [{"b_pk": k.pk, "b_examples": k.examples} for k in grown])
        # a concurrent writer may have added one of the new keys first: its type is kept; a
        # ledger is used for one batch, so its own idea of the type is not read back
        for k in self.keys.values():
            k.changed = False


def remember(tenant_id: int, owner: str, records: Iterable[dict | None]) -> list[AppError | None]:
    """Check `records` against (and record them in) the tenant's keys; one result per record."""
    ledger = KeyLedger.load(tenant_id, owner)
    results = [ledger.check(attributes) for attributes in records]
    ledger.save()
    return results


def attribute_keys(tenant_id: int, owner: str | None = None) -> list[AttributeKeyInfo]:
    """The tenant's attribute keys (of one owner, or all), by owner and key."""
    stmt = select(AttributeKey).where(AttributeKey.tenant_id == tenant_id)
    if owner is not None:
        stmt = stmt.where(AttributeKey.owner == owner)
    rows = db.session.scalars(stmt.order_by(AttributeKey.owner, AttributeKey.key))
    return [AttributeKeyInfo(r.owner, r.key, r.type, list(r.examples or ())) for r in rows]
