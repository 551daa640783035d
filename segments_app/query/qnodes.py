"""The nodes a parsed `q` string is made of: terms (`field:value`) and compound groups."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum

from segments_app.query.literals import Literal


class Op(StrEnum):
    EQ = "eq"
    IN = "in"
    #: one comparison (`>5`) or a range of two (`(>=1 AND <5)`), see `Term.bounds`
    COMPARE = "compare"
    REGEX = "regex"
    NULL = "null"
    MISSING = "missing"
    EXISTS = "exists"


@dataclass(frozen=True)
class Bound:
    op: str  # ">", ">=", "<" or "<="
    value: Literal


@dataclass(frozen=True)
class Term:
    field: str
    op: Op
    values: tuple[Literal, ...] = ()
    bounds: tuple[Bound, ...] = ()
    position: int = dataclass_field(default=0, compare=False)


@dataclass(frozen=True)
class Compound:
    op: str  # "AND" or "OR"
    parts: tuple[Node, ...]
    position: int = dataclass_field(default=0, compare=False)


Node = Term | Compound
