"""Form shapes for the dashboard (Flask-WTF); domain rules live in the services, which raise
ValidationFailed, and `show_errors` places its field messages beside the fields they name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from ..errors import ValidationFailed
from ..services.accounts import LoginRefused
from .words import marketer_errors


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _text(value: str | None) -> str:
    return value or ""


class Form(FlaskForm):
    """A dashboard form: service errors are shown beside the field named like their path
    (or the field `error_fields` names for it), the rest above the form."""

    #: error path -> the field that shows its messages, where the two are named differently
    error_fields: dict[str, str] = {}
    #: other refusals of the service the form shows: exception class -> the field beside which
    #: its message (str of the exception) stands
    refusals: dict[type[Exception], str] = {}

    def attempt(self, action: Callable[..., Any], *args: Any) -> Any:
        """The service call's result; when it raises ValidationFailed (or one of `refusals`),
        None, with its messages shown on the form (then `failed` is true)."""
        try:
            return action(*args)
        except ValidationFailed as error:
            self.show_errors(error)
        except tuple(self.refusals) as refused:
            name = next(v for k, v in self.refusals.items() if isinstance(refused, k))
            self[name].errors = [*self[name].errors, str(refused)]
        return None

    @property
    def failed(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)

    def named(self, path: str) -> Field | None:
        """The field whose input is named `path` (or that `error_fields` names for it)."""
        name = self.error_fields.get(path, path)
        return next((field for field in self if field.name == name and path), None)

    def show_errors(self, error: ValidationFailed) -> None:
        """Put the service's field messages, in a marketer's words (web/words.py), beside
        their fields (unplaced ones on the form)."""
        for path, messages in marketer_errors(error.details).items():
            if (field := self.named(path)) is not None:
                field.errors = [*field.errors, *messages]
            else:
                self.form_errors.extend(messages)


class LoginForm(Form):
    refusals = {LoginRefused: "password"}
    team = StringField("Team", validators=[DataRequired("Enter your team's name.")])
    email = EmailField("Email", validators=[DataRequired("Enter your email.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = StringField()


class PasswordForm(Form):
    current_password = PasswordField("Current password", filters=[_text])
    new_password = PasswordField("New password", filters=[_text])
    repeat_password = PasswordField("New password again", filters=[_text])


ROLE_OPTIONS = [
    SelectChoice("admin", "Admin: everything, plus users, API clients and languages"),
    SelectChoice("editor", "Editor: segments, members, items and imports"),
    SelectChoice("viewer", "Viewer: reads only"),
]


class UserForm(Form):
    email = EmailField("Email", filters=[_strip])
    role = SelectField("Role", choices=ROLE_OPTIONS, default="editor", validate_choice=False)
    password = PasswordField("Password", filters=[_text])


class ClientForm(Form):
    name = StringField("Name", filters=[_strip])
    scopes = SelectMultipleField("Scopes", default=list, validate_choice=False)
    grants = SelectMultipleField("Grants", default=["client_credentials"], validate_choice=False)


class LanguagesForm(Form):
    """Languages to keep or remove, codes to add, and the default (`new` picks the first added)."""

    error_fields = {"languages": "add", "defaultLanguage": "default"}
    remove = SelectMultipleField(default=list, validate_choice=False)
    add = StringField(filters=[_strip])
    default = StringField()

    def added_codes(self) -> list[str]:
        return [code.strip() for code in (self.add.data or "").split(",") if code.strip()]

    def chosen(self, current: Iterable[str], new: str) -> tuple[list[str], str | None]:
        """The languages asked for and the default among them (None: the service's choice)."""
        removed, added = self.remove.data or [], self.added_codes()
        choice = self.default.data or ""
        default = (added[:1] or [""])[0] if choice == new else choice
        return [code for code in current if code not in removed] + added, default or None
