"""Whole numbers that pages read from their URL (a page, an offset, where a search goes on).

Anything that is not one is the default, never an error, and none is so large that the
database refuses it: a page number past the last page shows the last page (query.listing
read_page, `within`).
"""

from __future__ import annotations

from ..limits import PAGE_NUMBER_MAX

#: the largest value of an integer column on PostgreSQL (the keys that searches go on after)
BIGGEST = 2**31 - 1


def int_arg(value: str | None, default: int, low: int = 0, high: int = BIGGEST) -> int:
    """A whole number from a URL or form, at most `high`; `default` for anything else."""
    if not value or not (value.isascii() and value.isdigit()):
        return default
    number = int(value) if len(value) <= len(str(high)) else high
    return default if number < low else min(number, high)


def page_arg(value: str | None) -> int:
    """A page number from the URL: 1 unless it is a whole number from 1 on."""
    return int_arg(value, 1, low=1, high=PAGE_NUMBER_MAX)
