"""Tenants."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Tenant
from ..query.i18n import LANGUAGE

TENANT_NAME = re.compile(r"^[a-z][a-z0-9]{2,15}$")


def validate_languages(languages: list[str], default: str | None) -> tuple[list[str], str]:
    languages = list(dict.fromkeys(lang for lang in languages if lang))
    if not languages:
        raise ValidationFailed.field("languages", "Name at least one language.", "required")
    bad = [lang for lang in languages if not LANGUAGE.match(lang)]
    if bad:
        raise ValidationFailed.field(
            "languages",
            f"Not a language tag: {', '.join(bad)} (use codes such as en, de, fr-CH).",
        )
    default = default or languages[0]
    if default not in languages:
        raise ValidationFailed.field(
            "defaultLanguage", f"The default language {default} must be one of the languages."
        )
    return languages, default


def create_tenant(name: str, languages: list[str], default: str | None = None) -> Tenant:
    """A new tenant; the name follows the contract's pattern (3 to 16 characters)."""
    if not TENANT_NAME.match(name):
        raise ValidationFailed.field(
            "name",
            f"Tenant name '{name}' must be 3 to 16 lowercase letters and digits, "
            "starting with a letter.",
        )
    if db.session.scalar(select(Tenant).where(Tenant.name == name)) is not None:
        raise Conflict(f"Tenant {name} already exists.")
    languages, default = validate_languages(languages, default)
    tenant = Tenant(name=name, languages=languages, default_language=default)
    db.session.add(tenant)
    db.session.flush()
    return tenant
