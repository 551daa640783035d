"""The error of a `q` string, shared by the parser and the modules it hands values to."""

from __future__ import annotations


class QueryError(ValueError):
    """A `q` string that cannot be parsed or does not fit the resource's fields."""

    def __init__(self, detail: str, position: int):
        self.detail = detail
        self.position = position
        self.message = f"at position {position}: {detail}"
        super().__init__(self.message)
