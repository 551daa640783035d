"""The dashboard's words for what the services say in the API's words.

The services speak the contract ("name.en must not be empty."), which the API keeps. A form
shows a marketer's words instead, beside the field it is about: `marketer_errors` looks each
detail of a ValidationFailed up in one table by (field, type), and keeps the service's message
where the table has nothing better. Language codes become names here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: English names of the languages storefronts commonly use (the dashboard speaks English), and
#: each one's own name, for pickers where a speaker looks for their language
LANGUAGES: dict[str, tuple[str, str]] = {
    "ar": ("Arabic", "العربية"),
    "bg": ("Bulgarian", "Български"),
    "cs": ("Czech", "Čeština"),
    "da": ("Danish", "Dansk"),
    "de": ("German", "Deutsch"),
    "el": ("Greek", "Ελληνικά"),
    "en": ("English", "English"),
    "es": ("Spanish", "Español"),
    "et": ("Estonian", "Eesti"),
    "fi": ("Finnish", "Suomi"),
    "fr": ("French", "Français"),
    "he": ("Hebrew", "עברית"),
    "hr": ("Croatian", "Hrvatski"),
    "hu": ("Hungarian", "Magyar"),
    "it": ("Italian", "Italiano"),
    "ja": ("Japanese", "日本語"),
    "ko": ("Korean", "한국어"),
    "lt": ("Lithuanian", "Lietuvių"),
    "lv": ("Latvian", "Latviešu"),
    "nl": ("Dutch", "Nederlands"),
    "no": ("Norwegian", "Norsk"),
    "nb": ("Norwegian Bokmål", "Norsk bokmål"),
    "pl": ("Polish", "Polski"),
    "pt": ("Portuguese", "Português"),
    "ro": ("Romanian", "Română"),
    "ru": ("Russian", "Русский"),
    "sk": ("Slovak", "Slovenčina"),
    "sl": ("Slovenian", "Slovenščina"),
    "sr": ("Serbian", "Српски"),
    "sv": ("Swedish", "Svenska"),
    "th": ("Thai", "ไทย"),
    "tr": ("Turkish", "Türkçe"),
    "uk": ("Ukrainian", "Українська"),
    "vi": ("Vietnamese", "Tiếng Việt"),
    "zh": ("Chinese", "中文"),
}


def language_name(code: str) -> str:
    """`code` as a person reads it in the dashboard: "German", "French (CH)" for fr-CH; an
    unknown code stays as it is, since it is all there is to show."""
    base, _, region = code.partition("-")
    known = LANGUAGES.get(base.lower())
    if known is None:
        return code
    return f"{known[0]} ({region.upper()})" if region else known[0]


def language_choice(code: str) -> str:
    """A language in a picker: its English name and, where it differs, its own ("German —
    Deutsch"), so that both the team and a native speaker find it."""
    name = language_name(code)
    own = LANGUAGES.get(code.partition("-")[0].lower())
    return f"{name} — {own[1]}" if own and own[1] != own[0] else name


#: a detail's field, as a pattern with the language or key in a group, and its type ("*" for
#: any) -> the words, given the group and the service's message; a list of (field, words) when
#: the words belong beside more than one field
Words = Callable[[str, str], str | list[tuple[str, str]]]
_TABLE: list[tuple[str, str, Words]] = [
    (r"name\.(.+)", "minLength", lambda lang, _: f"Enter a name in {language_name(lang)}."),
    (r"name\.(.+)", "required", lambda lang, _: f"Enter a name in {language_name(lang)}."),
    (r"name\.(.+)", "maxLength", lambda lang, m: _shorter(m, "name")),
    (r"description\.(.+)", "maxLength", lambda lang, m: _shorter(m, "description")),
    (r"name\.(.+)", "language", lambda lang, _: _not_offered(lang)),
    (r"description\.(.+)", "language", lambda lang, _: _not_offered(lang)),
    (r"(name)", "minProperties", lambda _, m: "Enter a name in at least one language."),
    (r"(name)", "required", lambda _, m: "Enter a name in at least one language."),
    (r"(siteCode)", "minLength", lambda _, m: "Enter the storefront site, such as “main”."),
    (r"(siteCode)", "required", lambda _, m: "Enter the storefront site, such as “main”."),
    (r"(siteCode)", "maxLength", lambda _, m: _shorter(m, "site")),
    (r"(id)", "pattern", lambda _, m: "Use no spaces and no “/” in the id."),
    (r"(id)", "maxLength", lambda _, m: _shorter(m, "id")),
    (r"(status)", "enum", lambda _, m: "Choose active or inactive."),
    (r"validity\.(from)", "range", lambda _, m: _dates_crossed()),
    (
        r"validity\.(from|to)",
        "format",
        lambda _, m: "Enter a date and time, such as 2025-03-31 18:00.",
    ),
]


def _dates_crossed() -> list[tuple[str, str]]:
    # both dates are concerned, so both fields say so (the API names only `from`)
    return [
        ("validity.from", "The start date is after the end date."),
        ("validity.to", "The end date is before the start date."),
    ]


def _not_offered(lang: str) -> str:
    return f"{language_name(lang)} is not one of your team's languages; add it under Settings."


_NUMBERS = re.compile(r"at most ([\d,]+) characters long; it has ([\d,]+)")


def _shorter(message: str, what: str) -> str:
    found = _NUMBERS.search(message)
    if not found:
        return message
    return f"Shorten the {what} to {found.group(1)} characters; it has {found.group(2)}."


def words_for(path: str, type_: str, message: str) -> list[tuple[str, str]]:
    """(field, words) for one detail of a ValidationFailed; the message itself where the
    table has no words for it."""
    for pattern, kind, words in _TABLE:
        found = re.fullmatch(pattern, path)
        if found and kind in (type_, "*"):
            said = words(found.group(1), message)
            return [(path, said)] if isinstance(said, str) else said
    return [(path, message)]


def marketer_errors(details: Iterable[dict[str, str]] | None) -> dict[str, list[str]]:
    """A ValidationFailed's details as the words to show, by the field they stand beside."""
    out: dict[str, list[str]] = {}
    for detail in details or []:
        path = detail.get("field") or ""
        for where, said in words_for(path, detail.get("type", ""), detail["message"]):
            if said not in out.setdefault(where, []):
                out[where].append(said)
    return out
