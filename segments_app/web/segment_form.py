"""The segment form: what its fields hold, how rows are added and dropped, and the contract
document it becomes. Only shape is checked here (dates, JSON values, duplicate keys); the
segment service validates the document exactly as it does for the API.

Its single fields are a Flask-WTF form (`SegmentFields`); the rows a user adds and drops (a
name and description per language, a key and value per mixin) are named per row, so they are
kept here and rendered with the same field macros."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateTimeLocalInput

from ..errors import ValidationFailed
from ..limits import JSON_MAX_DEPTH, json_too_deep
from ..models import Segment, Tenant
from ..models.segments import STATUS_CHOICES
from ..models.types import isoformat
from .args import int_arg
from .forms import Form
from .local_time import local_input, with_utc_times
from .words import language_name, marketer_errors

#: form fields named like the contract's paths, so service errors land beside them
SITE, STATUS, FROM, TO, ID = "siteCode", "status", "validity.from", "validity.to", "id"
_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_JSON_WORDS = ("true", "false", "null")


class SegmentFields(Form):
    """The segment form's single fields, named like the contract's paths."""

    custom_id = StringField("ID (optional)", name=ID)
    site_code = StringField("Site", name=SITE)
    status = SelectField(
        "Status",
        name=STATUS,
        choices=[SelectChoice(value, label) for value, label in STATUS_CHOICES],
        validate_choice=False,
    )
    valid_from = StringField("Valid from", name=FROM, widget=DateTimeLocalInput())
    valid_to = StringField("Valid until", name=TO, widget=DateTimeLocalInput())


def _fields(**values: str) -> SegmentFields:
    return SegmentFields(formdata=None, data=values)


@dataclass
class LanguageRow:
    language: str
    name: str = ""
    description: str = ""


@dataclass
class MixinRow:
    key: str = ""
    value: str = ""


class _FieldText:
    """A single field's text as the form's attribute of the same name ("" when empty)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, form: SegmentForm, owner: type | None = None) -> str:
        return getattr(form.fields, self.name).data or ""


@dataclass
class SegmentForm:
    """The form's values as the user sees them (text), plus the errors to show beside them."""

    languages: list[LanguageRow]
    fields: SegmentFields
    mixins: list[MixinRow] = field(default_factory=list)
    version: int | None = None
    #: errors of the rows, and those no field shows, by path (the fields keep their own)
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: the input to focus after a row was added (its field name)
    focus: str | None = None

    site_code = _FieldText()
    status = _FieldText()
    valid_from = _FieldText()
    valid_to = _FieldText()
    custom_id = _FieldText()

    @classmethod
    def blank(cls, tenant: Tenant) -> SegmentForm:
        return cls([LanguageRow(tenant.default_language)], _fields(status="INACTIVE"), [MixinRow()])

    @classmethod
    def of_segment(cls, segment: Segment, tenant: Tenant) -> SegmentForm:
        """The stored segment's values, languages in the tenant's order."""
        names, descriptions = segment.name or {}, segment.description or {}
        used = [lang for lang in tenant.languages if lang in names or lang in descriptions]
        used += [lang for lang in {**names, **descriptions} if lang not in used]
        return cls(
            languages=[
                LanguageRow(lang, names.get(lang, ""), descriptions.get(lang, "")) for lang in used
            ],
            fields=_fields(
                site_code=segment.site_code,
                status=segment.status,
                valid_from=local_input(segment.valid_from),
                valid_to=local_input(segment.valid_to),
            ),
            mixins=[
                MixinRow(key, mixin_text(value)) for key, value in (segment.mixins or {}).items()
            ],
            version=segment.version,
        )

    @classmethod
    def from_request(cls, data: MultiDict) -> SegmentForm:
        """The posted form; its times typed in the browser's zone are held in UTC from here on
        (web/local_time.py), as the page renders them."""
        data = with_utc_times(data, (FROM, TO))
        languages: list[LanguageRow] = []
        for lang in data.getlist("language"):
            if lang and all(row.language != lang for row in languages):
                languages.append(
                    LanguageRow(
                        lang, data.get(f"name.{lang}", ""), data.get(f"description.{lang}", "")
                    )
                )
        keys, values = data.getlist("mixin-key"), data.getlist("mixin-value")
        mixins = [MixinRow(k, v) for k, v in zip(keys, values, strict=False)]
        version = data.get("version", "")
        return cls(
            languages=languages,
            fields=SegmentFields(formdata=data),
            mixins=mixins,
            version=int_arg(version, 0, low=1) or None,
        )

    def unused_languages(self, tenant: Tenant) -> list[str]:
        used = {row.language for row in self.languages}
        return [lang for lang in tenant.languages if lang not in used]

    def apply(self, action: str, data: MultiDict, tenant: Tenant) -> bool:
        """Add or drop a language or a mixin row for an action button; False if `action` is
        not one of those (then it means save)."""
        verb, _, arg = action.partition(":")
        if verb == "add-language":
            lang = data.get("add_language", "")
            if lang in self.unused_languages(tenant):
                self.languages.append(LanguageRow(lang))
                self.focus = f"name.{lang}"
        elif verb == "drop-language":
            self.languages = [row for row in self.languages if row.language != arg]
            self.focus = "add_language"
        elif verb == "add-mixin":
            self.mixins.append(MixinRow())
            self.focus = f"mixin-key-{len(self.mixins) - 1}"
        elif verb == "drop-mixin":
            # a row that is not there (a stale or forged number) is left alone
            if (row := int_arg(arg, -1)) in range(len(self.mixins)):
                del self.mixins[row]
            self.focus = "add-mixin"
        else:
            return False
        return True

    def document(self) -> dict[str, Any] | None:
        """The contract document (SegmentCreation or SegmentUpdate), or None when a field's
        text cannot be read (the reasons are then in `errors`)."""
        doc: dict[str, Any] = {
            "name": {row.language: row.name.strip() for row in self.languages},
            SITE: self.site_code.strip(),
            STATUS: self.status,
        }
        descriptions = {
            row.language: row.description.strip()
            for row in self.languages
            if row.description.strip()
        }
        if descriptions:
            doc["description"] = descriptions
        validity = {}
        for path, text in ((FROM, self.valid_from), (TO, self.valid_to)):
            if text.strip():
                moment = self._moment(path, text)
                if moment:
                    validity[path.split(".")[1]] = moment
        if validity:
            doc["validity"] = validity
        mixins = self._mixins()
        if mixins:
            doc["mixins"] = mixins
        if self.custom_id.strip():
            doc[ID] = self.custom_id.strip()
        if self.version is not None:
            doc["metadata"] = {"version": self.version}
        return None if self.failed else doc

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.fields.failed

    def add_error(self, path: str, message: str) -> None:
        if (single := self.fields.named(path)) is not None:
            single.errors = [*single.errors, message]
        else:
            self.errors.setdefault(path, []).append(message)

    def take_errors(self, error: ValidationFailed) -> None:
        """Service errors in a marketer's words (web/words.py), placed beside the field they
        name; a mixin's by its row."""
        for path, messages in marketer_errors(error.details).items():
            if path.startswith("mixins."):
                key = path.removeprefix("mixins.").split(".")[0]
                rows = [n for n, row in enumerate(self.mixins) if row.key.strip() == key]
                path = f"mixin.{rows[0]}" if rows else "mixins"
            for message in messages:
                self.add_error(path, message)

    def placed_paths(self) -> set[str]:
        """The error paths that have a field to stand beside."""
        paths = {"name", "description", "mixins"}
        for row in self.languages:
            paths |= {f"name.{row.language}", f"description.{row.language}"}
        paths |= {f"mixin.{n}" for n in range(len(self.mixins))}
        return paths

    def unplaced_errors(self) -> list[str]:
        """Messages for paths no field shows (say `metadata.version`): shown above the form."""
        placed = self.placed_paths()
        return [m for path, messages in self.errors.items() if path not in placed for m in messages]

    def _moment(self, path: str, text: str) -> str | None:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            self.add_error(path, "Enter a date and time, such as 2025-03-31 18:00.")
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return isoformat(moment)

    def _mixins(self) -> dict[str, Any]:
        mixins: dict[str, Any] = {}
        for n, row in enumerate(self.mixins):
            key = row.key.strip()
            if not key:
                if row.value.strip():
                    self.add_error(f"mixin.{n}", "Give this value a key, or remove the row.")
                continue
            if key in mixins:
                self.add_error(f"mixin.{n}", f"The key '{key}' is used twice.")
                continue
            try:
                mixins[key] = mixin_value(row.value)
            except ValueError as exc:
                self.add_error(f"mixin.{n}", str(exc))
        return mixins


def mixin_value(text: str) -> Any:
    """A mixin value typed in the form: JSON when it reads as JSON, else the text itself.

    Text that starts like an object, a list or a quoted string must be valid JSON (ValueError
    otherwise), since it was evidently meant as one; numbers and true/false/null become JSON
    values, and anything else ("007", "gold tier") stays text.
    """
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        if json_too_deep(stripped.encode()):
            raise ValueError(f"This nests more than {JSON_MAX_DEPTH} levels deep.")
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"This reads as JSON but is not valid JSON ({exc.msg}, column {exc.colno})."
            ) from None
    if _JSON_NUMBER.fullmatch(stripped) or stripped in _JSON_WORDS:
        return json.loads(stripped)
    return text


def mixin_text(value: Any) -> str:
    """How a stored mixin value is shown so that saving the form again keeps it as it is."""
    if isinstance(value, str):
        try:
            unchanged = mixin_value(value) == value
        except ValueError:
            unchanged = False
        if unchanged:
            return value
    return json.dumps(value, ensure_ascii=False)


def differences(mine: SegmentForm, stored: SegmentForm) -> list[tuple[str, str, str]]:
    """(what, your value, the stored value) for each field where the two forms differ."""

    def by_language(form: SegmentForm, attr: str) -> dict[str, str]:
        return {row.language: getattr(row, attr) for row in form.languages}

    out = []
    for label, attr in (("Name", "name"), ("Description", "description")):
        yours, theirs = by_language(mine, attr), by_language(stored, attr)
        for lang in dict.fromkeys([*theirs, *yours]):
            if yours.get(lang, "").strip() != theirs.get(lang, "").strip():
                out.append(
                    (f"{label} ({language_name(lang)})", yours.get(lang, ""), theirs.get(lang, ""))
                )
    for label, attr in (
        ("Site", "site_code"),
        ("Status", "status"),
        ("Valid from (UTC)", "valid_from"),
        ("Valid to (UTC)", "valid_to"),
    ):
        if getattr(mine, attr).strip() != getattr(stored, attr).strip():
            out.append((label, getattr(mine, attr), getattr(stored, attr)))
    yours_mixins = {row.key.strip(): row.value for row in mine.mixins if row.key.strip()}
    theirs_mixins = {row.key: row.value for row in stored.mixins}
    for key in dict.fromkeys([*theirs_mixins, *yours_mixins]):
        if yours_mixins.get(key, "").strip() != theirs_mixins.get(key, "").strip():
            out.append((f"Mixin {key}", yours_mixins.get(key, ""), theirs_mixins.get(key, "")))
    return out
