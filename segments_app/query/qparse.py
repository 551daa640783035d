"""The `q` filter language's parser: a query string into its nodes (see query.qnodes).

Grammar (see the API conventions, section (a)): whitespace-separated `field:value` terms, ANDed.
Values: bare words, "quoted strings", null / missing / exists, >v >=v <v <=v, ~regex, (~regex),
IN lists (a,b) or ("a","b"), ranges (>=1 AND <5), and compoundLogicalQuery:((..) OR (..)).
"""

from __future__ import annotations

import string

from segments_app.limits import Q_MAX_LENGTH, Q_MAX_NESTING, Q_MAX_TERMS, Q_MAX_VALUES
from segments_app.query.errors import QueryError
from segments_app.query.literals import Literal
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term
from segments_app.query.regex import check_pattern

#: the field whose value is a group of terms joined by AND or OR
COMPOUND_FIELD = "compoundLogicalQuery"
_FIELD_CHARS = frozenset(string.ascii_letters + string.digits + "_-.")
_OPERATOR_CHARS = "<>=!"
_COMPARATORS = (">", ">=", "<", "<=")
_KEYWORDS = {"null": Op.NULL, "missing": Op.MISSING, "exists": Op.EXISTS}


def parse_q(text: str) -> list[Node]:
    """Parse a `q` string into its ANDed terms; raises QueryError."""
    if len(text) > Q_MAX_LENGTH:
        raise QueryError(
            f"the query is {len(text)} characters long; at most {Q_MAX_LENGTH} are allowed",
            Q_MAX_LENGTH,
        )
    nul = text.find("\x00")
    if nul >= 0:
        raise QueryError("NUL characters are not allowed", nul)
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.nesting = 0
        self.terms = 0

    # scanning helpers

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def found(self) -> str:
        char = self.peek()
        return f"'{char}'" if char else "the end of the query"

    def error(self, detail: str, position: int | None = None) -> QueryError:
        return QueryError(detail, self.pos if position is None else position)

    def skip_space(self) -> bool:
        start = self.pos
        while self.peek().isspace():
            self.pos += 1
        return self.pos > start

    def at_value_end(self) -> bool:
        char = self.peek()
        return not char or char.isspace() or char == ")"

    def at_word(self, word: str) -> bool:
        end = self.pos + len(word)
        if not self.text.startswith(word, self.pos):
            return False
        return end == len(self.text) or self.text[end].isspace() or self.text[end] == "("

    def close(self, open_at: int, expected: str = "')'") -> None:
        if self.peek() != ")":
            raise self.error(
                f"expected {expected} to close '(' at position {open_at}, found {self.found()}"
            )
        self.pos += 1

    # terms

    def query(self) -> list[Node]:
        nodes: list[Node] = []
        self.skip_space()
        while self.peek():
            nodes.append(self.term())
            if not self.skip_space() and self.peek():
                if self.peek() == ")":
                    raise self.error("unexpected ')' with no '(' open")
                raise self.error(f"expected whitespace before the next term, found {self.found()}")
        return nodes

    def term(self) -> Node:
        start = self.pos
        self.terms += 1
        if self.terms > Q_MAX_TERMS:
            raise self.error(f"the query has more than {Q_MAX_TERMS} terms, the most it may have")
        while self.peek() and self.peek() in _FIELD_CHARS:
            self.pos += 1
        path = self.text[start : self.pos]
        if not path:
            raise self.error(f"expected a field name, found {self.found()}")
        if self.peek() != ":":
            raise self.error(f"expected ':' after the field name '{path}', found {self.found()}")
        if "" in path.split("."):
            raise self.error(f"'{path}' is not a valid field path", start)
        self.pos += 1
        if path == COMPOUND_FIELD:
            if self.peek() != "(":
                raise self.error(f"expected '(' after '{COMPOUND_FIELD}:', found {self.found()}")
            return self.group()
        return self.value(path, start)

    def value(self, path: str, start: int) -> Term:
        char = self.peek()
        if self.at_value_end():
            raise self.error(f"expected a value after '{path}:', found {self.found()}")
        if char == '"':
            return Term(path, Op.EQ, (self.quoted(),), position=start)
        if char == "(":
            return self.parenthesised(path, start)
        if char == "~":
            self.pos += 1
            return Term(path, Op.REGEX, (self.regex(in_parens=False),), position=start)
        if char in _OPERATOR_CHARS:
            return Term(path, Op.COMPARE, bounds=(self.bound(),), position=start)
        word = self.bare_word()
        keyword = _KEYWORDS.get(word.text)
        if keyword is not None:
            return Term(path, keyword, position=start)
        return Term(path, Op.EQ, (word,), position=start)

    def parenthesised(self, path: str, start: int) -> Term:
        open_at = self.pos
        self.pos += 1
        self.skip_space()
        char = self.peek()
        if char == "~":
            self.pos += 1
            term = Term(path, Op.REGEX, (self.regex(in_parens=True),), position=start)
            self.close(open_at)
        elif char and char in _OPERATOR_CHARS:
            term = Term(path, Op.COMPARE, bounds=self.range(open_at), position=start)
        else:
            term = Term(path, Op.IN, self.items(open_at), position=start)
        return term

    # values

    def quoted(self) -> Literal:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.error("unclosed double quote", start)
            self.pos += 1
            if char == '"':
                return Literal("".join(chars), True, start)
            if char == "\\" and self.peek() in ('"', "\\"):
                char = self.peek()
                self.pos += 1
            chars.append(char)

    def bare_word(self) -> Literal:
        start = self.pos
        while not self.at_value_end():
            if self.peek() in '"(':
                raise self.error(
                    f"unexpected {self.found()} inside a value; put the value in double quotes"
                )
            self.pos += 1
        return Literal(self.text[start : self.pos], False, start)

    def bound(self) -> Bound:
        start = self.pos
        while self.peek() and self.peek() in _OPERATOR_CHARS:
            self.pos += 1
        op = self.text[start : self.pos]
        if op not in _COMPARATORS:
            raise self.error(f"unknown operator '{op}'; use >, >=, < or <=", start)
        if self.peek() == '"':
            return Bound(op, self.quoted())
        if self.at_value_end():
            raise self.error(f"expected a value after '{op}', found {self.found()}")
        return Bound(op, self.bare_word())

    def range(self, open_at: int) -> tuple[Bound, ...]:
        first = self.bound()
        self.skip_space()
        if self.peek() == ")":
            raise self.error("a range needs two comparisons joined by AND, e.g. (>=1 AND <5)")
        if not self.at_word("AND"):
            raise self.error(f"expected 'AND' between the comparisons, found {self.found()}")
        self.pos += len("AND")
        self.skip_space()
        second = self.bound()
        self.skip_space()
        self.close(open_at, "')' (a range has exactly two comparisons)")
        if {first.op[0], second.op[0]} != {">", "<"}:
            raise QueryError(
                "a range needs one lower bound (> or >=) and one upper bound (< or <=)",
                open_at,
            )
        return first, second

    def items(self, open_at: int) -> tuple[Literal, ...]:
        items: list[Literal] = []
        while True:
            self.skip_space()
            if self.peek() == '"':
                items.append(self.quoted())
                self.skip_space()
            else:
                items.append(self.list_word())
            if len(items) > Q_MAX_VALUES:
                raise self.error(
                    f"the list has more than {Q_MAX_VALUES} values, the most it may have",
                    items[-1].position,
                )
            if self.peek() != ",":
                self.close(open_at, "',' or ')'")
                return tuple(items)
            self.pos += 1

    def list_word(self) -> Literal:
        start = self.pos
        while self.peek() and self.peek() not in ",)":
            if self.peek() in '"(':
                raise self.error(
                    f"unexpected {self.found()} inside a list item; put the item in double quotes"
                )
            self.pos += 1
        text = self.text[start : self.pos].rstrip()
        if not text:
            raise self.error(f"expected a list item, found {self.found()}")
        return Literal(text, False, start)

    def regex(self, in_parens: bool) -> Literal:
        """Scan a pattern: to whitespace (or, in parentheses, to the closing ')').

        Balanced parentheses inside the pattern do not end it, so `~(Yoghurt im)` is one regex.
        """
        start = self.pos
        text = self.text
        depth = 0
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == "[":
                self.skip_char_class()
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char.isspace() and depth == 0 and not in_parens:
                break
            self.pos += 1
        self.pos = min(self.pos, len(text))
        pattern = text[start : self.pos]
        if not pattern:
            raise self.error(f"expected a regular expression after '~', found {self.found()}")
        check_pattern(pattern, start)
        return Literal(pattern, False, start)

    def skip_char_class(self) -> None:
        text = self.text
        self.pos += 1
        if self.peek() == "^":
            self.pos += 1
        if self.peek() == "]":
            self.pos += 1
        while self.pos < len(text) and text[self.pos] != "]":
            self.pos += 2 if text[self.pos] == "\\" else 1
        self.pos = min(self.pos + 1, len(text))

    # compoundLogicalQuery

    def group(self) -> Node:
        open_at = self.pos
        self.nesting += 1
        if self.nesting > Q_MAX_NESTING:
            raise self.error(f"parentheses nest deeper than {Q_MAX_NESTING} levels")
        self.pos += 1
        node = self.disjunction()
        self.skip_space()
        self.close(open_at)
        self.nesting -= 1
        return node

    def disjunction(self) -> Node:
        start = self.pos
        parts = [self.conjunction()]
        while True:
            mark = self.pos
            self.skip_space()
            if not self.at_word("OR"):
                self.pos = mark
                break
            self.pos += len("OR")
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Compound("OR", tuple(parts), start)

    def conjunction(self) -> Node:
        start = self.pos
        parts = [self.operand()]
        while True:
            mark = self.pos
            spaced = self.skip_space()
            if self.at_word("AND"):
                self.pos += len("AND")
            elif self.peek() in ("", ")") or self.at_word("OR"):
                self.pos = mark
                break
            elif not spaced:
                raise self.error(f"expected whitespace, AND, OR or ')', found {self.found()}")
            parts.append(self.operand())
        return parts[0] if len(parts) == 1 else Compound("AND", tuple(parts), start)

    def operand(self) -> Node:
        self.skip_space()
        if self.peek() == "(":
            return self.group()
        return self.term()
