"""Localized fields: Content-Language on the way in, Accept-Language on the way out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import overload

from ..errors import BadRequest, ValidationFailed

LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class LanguagePrefs:
    """What a client asked for in Accept-Language; `wanted` is empty for `*` or no header."""

    wanted: tuple[str, ...]
    default: str

    @property
    def full_maps(self) -> bool:
        return not self.wanted

    @property
    def first(self) -> str:
        """The language a bare localized sort key uses."""
        return self.wanted[0] if self.wanted and self.wanted[0] != "*" else self.default

    @overload
    def pick(self, values: dict[str, str]) -> dict[str, str]: ...
    @overload
    def pick(self, values: None) -> None: ...
    def pick(self, values: dict[str, str] | None) -> dict[str, str] | None:
        """Full map, or a one-entry map with the best match (then the default, then any)."""
        if values is None or self.full_maps:
            return values
        if not values:
            return {}
        key = _best_key(values, self.wanted, self.default)
        return {key: values[key]}


def _best_key(values: Mapping[str, str], wanted: Sequence[str], default: str | None) -> str:
    """The key of `values` (not empty) for the first of `wanted` it has, `fr` also taking `FR`,
    a stored `fr-CH` or, for `fr-CH`, a stored `fr`; then `default`; then the first key in
    order. A `*` in `wanted` ends the search there."""
    lowered = {k.lower(): k for k in values}
    for lang in wanted:
        if lang == "*":
            break
        key = lowered.get(lang.lower()) or lowered.get(lang.split("-")[0].lower())
        if key is None:
            key = next((k for k in values if k.lower().startswith(lang.lower() + "-")), None)
        if key is not None:
            return key
    if default is not None and default in values:
        return default
    return sorted(values)[0]


def text_in(localized: Mapping[str, str] | None, *languages: str) -> str:
    """The text of a localized map in the first of `languages` it has (else in any), or "":
    what a page shows of a name or a description."""
    if not localized:
        return ""
    return localized[_best_key(localized, languages, None)]


def parse_accept_language(header: str | None, default: str) -> LanguagePrefs:
    """Order the languages of an Accept-Language header by q-weight (stable for ties)."""
    if not header or header.strip() == "*":
        return LanguagePrefs((), default)
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        lang, _, params = part.strip().partition(";")
        lang = lang.strip()
        if not lang:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    raise BadRequest(f"Accept-Language: bad q-value in '{part.strip()}'.") from None
        if weight > 0 and (lang == "*" or LANGUAGE.match(lang)):
            weighted.append((-weight, position, lang))
    if not weighted:
        return LanguagePrefs((), default)
    return LanguagePrefs(tuple(lang for _, _, lang in sorted(weighted)), default)


def content_language(header: str | None) -> str | None:
    """The single language a request body's plain strings are in, or None for `*`/a list."""
    if header is None or not header.strip():
        return ""
    value = header.strip()
    if value == "*" or "," in value:
        return None
    if not LANGUAGE.match(value):
        raise BadRequest(f"Content-Language '{value}' is not a language tag.")
    return value


def localize_input(
    doc: dict, fields: tuple[str, ...], header_lang: str | None, default: str
) -> None:
    """Turn plain strings in localized fields into {language: text}, in place.

    `header_lang` is the result of content_language(): a language, "" when no header was sent
    (strings are then in the tenant's default language), or None when the header names several
    languages or `*` (strings are refused, maps are required).
    """
    for field in fields:
        value = doc.get(field)
        if isinstance(value, str):
            if header_lang is None:
                raise ValidationFailed.field(
                    field,
                    "must be a map of language to text when Content-Language is '*' or a list",
                    "type",
                )
            doc[field] = {header_lang or default: value}


def check_languages(doc: dict, fields: tuple[str, ...], allowed: list[str]) -> None:
    """Every key of a localized map must be one of the tenant's languages."""
    details = []
    for field in fields:
        value = doc.get(field)
        if not isinstance(value, dict):
            continue
        for lang in value:
            if lang not in allowed:
                details.append(
                    {
                        "field": f"{field}.{lang}",
                        "type": "language",
                        "message": f"'{lang}' is not one of this tenant's languages "
                        f"({', '.join(allowed)}).",
                    }
                )
    if details:
        raise ValidationFailed(details)
