"""How much a client may send and store: every bound on request work and stored size, in one place.

Validation, the `q` parser, paging and the served OpenAPI document (through its `!limit` tag)
read them from here. Settings that an operator may want to change (the JSON body size, the
statement timeout) are in config.py instead.
"""

from __future__ import annotations

import re

# -- the `q` language and the other list parameters -------------------------------------------

#: characters of one `q` (query string or search body)
Q_MAX_LENGTH = 4096
#: terms of one `q`, counting each part of a compoundLogicalQuery
Q_MAX_TERMS = 64
#: values of one IN list, such as id:(a,b,c)
Q_MAX_VALUES = 1000
#: parentheses of a compoundLogicalQuery inside each other
Q_MAX_NESTING = 16
#: characters of one regular expression (`~regex`)
REGEX_MAX_LENGTH = 256
#: memory RE2 may use to compile one regular expression (and for its matching automaton)
REGEX_MAX_MEMORY = 1 << 20
#: characters of `sort` and of `fields`, and the entries each may list
LIST_PARAM_MAX_LENGTH = 4096
LIST_PARAM_MAX_ENTRIES = 64
#: the largest pageNumber an API listing accepts
PAGE_NUMBER_MAX = 1_000_000

# -- rules of rule-based segments ---------------------------------------------------------------

#: groups (all, any, not) inside each other in one rule
RULE_MAX_DEPTH = 8
#: conditions of one rule, counting each inSegment
RULE_MAX_CONDITIONS = 100
#: bytes of one rule as compact UTF-8 JSON
RULE_MAX_BYTES = 32 * 1024
#: values of one in/notIn list
RULE_MAX_VALUES = 1000
#: characters of one text value a condition compares with
RULE_VALUE_MAX_LENGTH = 1000
#: the largest N of withinLastDays / notWithinLastDays (about a hundred years)
RULE_MAX_DAYS = 36500

# -- JSON request bodies -------------------------------------------------------------------------

#: arrays and objects inside each other in a JSON body (checked before it is parsed)
JSON_MAX_DEPTH = 32

# -- stored documents ----------------------------------------------------------------------------

#: ids: a segment's, a directory record's, and those an assignment or /match names
ID_MAX_LENGTH = 255
#: a segment's, category's or product's name in one language
NAME_MAX_LENGTH = 255
#: a description in one language (and a category's slug)
DESCRIPTION_MAX_LENGTH = 4000
#: languages of one localized map, and the characters of each language key
LANGUAGES_MAX = 50
LANGUAGE_KEY_MAX_LENGTH = 35
#: a segment's siteCode, and a category's or product's code
CODE_MAX_LENGTH = 255
#: the directory's own columns
LEGAL_ENTITY_NAME_MAX_LENGTH = 500
PERSON_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 320
#: `mixins` of segments and assignments: bytes as UTF-8 JSON, levels of objects and arrays
#: (the mixins object itself is the first), characters of a key, elements of an array
MIXINS_MAX_BYTES = 32 * 1024
MIXINS_MAX_DEPTH = 8
MIXIN_KEY_MAX_LENGTH = 128
ARRAY_MAX_ITEMS = 1000
#: customer and legal entity `attributes`: keys of one record, the pattern of a key, characters
#: of a text value, tags of a list and characters of a tag, bytes of the object as UTF-8 JSON
ATTRIBUTES_MAX = 50
ATTRIBUTE_KEY_PATTERN = "^[A-Za-z][A-Za-z0-9_]{0,63}$"
ATTRIBUTE_TEXT_MAX_LENGTH = 1000
ATTRIBUTE_TAGS_MAX = 100
ATTRIBUTE_TAG_MAX_LENGTH = 100
ATTRIBUTES_MAX_BYTES = 16 * 1024
#: products one /match asks about (well below the bind-parameter limits of both databases)
MATCH_ITEMS_MAX = 10_000
#: `metadata.mixins`: entries (mixin name to schema URL) and characters of a URL
METADATA_MIXINS_MAX = 50
URL_MAX_LENGTH = 2048


def named() -> dict[str, int]:
    """Every limit by its name (for the OpenAPI document's `!limit` tag)."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper() and not name.startswith("_") and isinstance(value, int)
    }


#: a JSON string with its escapes; what is left of a body without them is brackets and scalars
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_too_deep(raw: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit`, found without parsing.

    Each pass drops the innermost empty pairs, so a balanced text of depth d is gone after d
    passes; what remains after `limit` passes is either deeper, or (as `[[[[`) not JSON, which
    the parser would have to descend into before refusing. A run of more than `limit` opening
    brackets ends the search early.
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(_BRACKETS, _NOT_BRACKETS)
    too_many = b"[" * (limit + 1)
    for _ in range(limit):
        if too_many in brackets:
            return True
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    return b"[]" in brackets or brackets.count(b"[") > limit
