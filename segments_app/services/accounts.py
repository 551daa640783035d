"""Marketer accounts and API clients: created by operators (CLI) and by admins (settings)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import AccessToken, ApiClient, Tenant, User
from ..models.accounts import ROLES
from ..models.tenants import ALL_SCOPES, GRANTS, SCOPE_READ_OWN, secret_digest
from ..models.types import utcnow
from . import throttle
from .tenants import validate_languages

MIN_PASSWORD = 10
#: column sizes, checked here since only PostgreSQL enforces them
MAX_EMAIL, MAX_CLIENT_NAME = 320, 200
#: the one answer to a login that fails, whichever of team, e-mail or password was wrong
WRONG_LOGIN = "Team, e-mail or password is not right."
# Compared against when the login is unknown, so both paths take the same time.
_NO_USER_HASH = generate_password_hash("nobody has this password")


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def find_tenant(name: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise NotFound(name, f"No tenant named '{name}'.")
    return tenant


#: client ids are letters and digits only: one starting with "-" would read as an option on the
#: command line (`api-clients revoke -B...`); 24 of 62 characters carry about 143 random bits
_ID_ALPHABET = string.ascii_letters + string.digits


def new_client_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed.field(
            "password", f"Use at least {MIN_PASSWORD} characters.", "minLength"
        )


def create_user(tenant: Tenant, email: str, role: str, password: str) -> User:
    """A new marketer of `tenant`; e-mails are unique within a tenant (case-insensitive).

    Another tenant's accounts play no part: the same person may work for several tenants, and
    the answer must not tell whether an e-mail has an account anywhere else.
    """
    email = email.strip().lower()
    if len(email) > MAX_EMAIL:
        raise ValidationFailed.field("email", f"Use at most {MAX_EMAIL} characters.", "maxLength")
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed.field("email", "Enter an email address such as anna@shop.com.")
    if role not in ROLES:
        raise ValidationFailed.field("role", f"Role must be one of {', '.join(ROLES)}.", "enum")
    _check_password(password)
    already = ValidationFailed.field("email", f"{email} already has an account here.", "unique")
    taken = select(User.id).where(User.tenant_id == tenant.id, User.email == email)
    if db.session.scalar(taken) is not None:
        raise already
    user = User(
        tenant_id=tenant.id, email=email, role=role, password_hash=generate_password_hash(password)
    )
    try:
        with db.session.begin_nested():  # the same e-mail added twice at once: one wins
            db.session.add(user)
    except IntegrityError:
        raise already from None
    return user


def add_user(tenant: Tenant, email: str, role: str, password: str = "") -> tuple[User, str | None]:
    """A new marketer, with the password given or (when it is empty) a generated one, which is
    returned so that it can be shown once."""
    generated = None if password else generate_password()
    return create_user(tenant, email, role, password or generated or ""), generated


def _login_key(team: str, email: str) -> str:
    return f"{team.strip().lower()}\n{email.strip().lower()}"


def authenticate(team: str, email: str, password: str, address: str | None) -> User:
    """The user with these credentials, or LoginRefused; attempts are throttled (see throttle)
    and every refusal reads the same whether the team or the e-mail exists or not."""
    team, email = team.strip().lower(), email.strip().lower()
    try:
        reservation = throttle.reserve("marketer", _login_key(team, email), address)
    except throttle.TooManyAttempts as refused:
        raise LoginRefused(refused.message) from None
    user = db.session.scalar(
        select(User).join(Tenant).where(Tenant.name == team, User.email == email)
    )
    if user is None:
        check_password_hash(_NO_USER_HASH, password)
        raise LoginRefused(WRONG_LOGIN)
    if not check_password_hash(user.password_hash, password):
        raise LoginRefused(WRONG_LOGIN)
    throttle.succeeded(reservation)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Give `user` a new password; every session of theirs ends."""
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    user.end_sessions()
    db.session.flush()


def change_password(user: User, current: str, new: str, repeated: str, address: str | None) -> None:
    """The user's own change of password: the current one proves it is them. Checking it goes
    through the login throttle, so a session left open is no way to guess the password."""
    problems = []

    def problem(field: str, type_: str, message: str) -> None:
        problems.append({"field": field, "type": type_, "message": message})

    try:
        reservation = throttle.reserve(
            "marketer", _login_key(user.tenant.name, user.email), address
        )
    except throttle.TooManyAttempts as refused:
        raise ValidationFailed.field("current_password", refused.message, "throttled") from None
    if not check_password_hash(user.password_hash, current):
        problem("current_password", "invalid", "This is not your current password.")
    else:
        throttle.succeeded(reservation)
    if len(new) < MIN_PASSWORD:
        problem("new_password", "minLength", f"Use at least {MIN_PASSWORD} characters.")
    elif new != repeated:
        problem("repeat_password", "invalid", "The two new passwords differ.")
    if problems:
        raise ValidationFailed(problems)
    set_password(user, new)


def find_user(tenant: Tenant, email: str) -> User:
    user = db.session.scalar(
        select(User).where(User.tenant_id == tenant.id, User.email == email.strip().lower())
    )
    if user is None:
        raise NotFound(email, f"No user {email} in tenant '{tenant.name}'.")
    return user


def users_query(tenant: Tenant) -> Select:
    return select(User).where(User.tenant_id == tenant.id).order_by(User.email)


def list_users(tenant: Tenant) -> list[User]:
    """The tenant's users by e-mail."""
    return list(db.session.scalars(users_query(tenant)))


def get_user(tenant: Tenant, user_id: int) -> User:
    user = db.session.scalar(select(User).where(User.tenant_id == tenant.id, User.id == user_id))
    if user is None:
        raise NotFound(str(user_id), "No such user.")
    return user


def _admins_left(tenant: Tenant, without: User) -> int:
    admins = db.session.scalar(
        select(func.count()).where(
            User.tenant_id == tenant.id, User.role == "admin", User.id != without.id
        )
    )
    return admins or 0


def set_role(tenant: Tenant, user_id: int, role: str) -> User:
    user = get_user(tenant, user_id)
    if role not in ROLES:
        raise ValidationFailed.field("role", f"Role must be one of {', '.join(ROLES)}.", "enum")
    if user.role == "admin" and role != "admin" and not _admins_left(tenant, user):
        raise Conflict("A tenant keeps at least one admin; make someone else admin first.")
    if role != user.role:
        user.role = role
        user.end_sessions()  # what the old role allowed ends with every session of it
    db.session.flush()
    return user


def removable_user(tenant: Tenant, user_id: int, by: User | None) -> User:
    """The user `by` may remove: anyone of the tenant but themself, so nobody locks themself
    out (Conflict otherwise)."""
    user = get_user(tenant, user_id)
    if by is not None and user.id == by.id:
        raise Conflict("You cannot remove yourself; another admin of your team can.")
    return user


def delete_user(tenant: Tenant, user_id: int, by: User | None = None) -> None:
    """Remove a user (not `by` themself), keeping at least one admin."""
    user = removable_user(tenant, user_id, by)
    if user.role == "admin" and not _admins_left(tenant, user):
        raise Conflict("A tenant keeps at least one admin; make someone else admin first.")
    db.session.delete(user)
    db.session.flush()


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    secret: str


def create_api_client(
    tenant: Tenant, scopes: list[str], grants: list[str], name: str | None = None
) -> NewClient:
    """A new OAuth client; its secret is returned here once and stored only as a digest."""
    if len((name or "").strip()) > MAX_CLIENT_NAME:
        raise ValidationFailed.field(
            "name", f"Use at most {MAX_CLIENT_NAME} characters.", "maxLength"
        )
    scopes = list(dict.fromkeys(scopes))
    grants = list(dict.fromkeys(grants or ["client_credentials"]))
    if not scopes:
        raise ValidationFailed.field("scopes", "Choose at least one scope.", "required")
    unknown = [s for s in scopes if s not in ALL_SCOPES] + [g for g in grants if g not in GRANTS]
    if unknown:
        raise ValidationFailed.field("scopes", f"Unknown: {', '.join(unknown)}.", "enum")
    if "password" in grants and SCOPE_READ_OWN not in scopes:
        raise ValidationFailed.field(
            "scopes",
            f"A client with the password grant issues customer tokens: add {SCOPE_READ_OWN}.",
        )
    if SCOPE_READ_OWN in scopes and "password" not in grants:
        raise ValidationFailed.field(
            "grants", f"{SCOPE_READ_OWN} belongs to customer tokens only: add the password grant."
        )
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id=new_client_id(),
        secret_hash=secret_digest(secret),
        tenant_id=tenant.id,
        name=(name or "").strip() or None,
        scope=" ".join(scopes),
        grants=" ".join(grants),
    )
    db.session.add(client)
    db.session.flush()
    return NewClient(client, secret)


def clients_query(tenant: Tenant) -> Select:
    return (
        select(ApiClient)
        .where(ApiClient.tenant_id == tenant.id)
        .order_by(ApiClient.revoked_at.is_not(None), ApiClient.created_at.desc())
    )


def list_clients(tenant: Tenant) -> list[ApiClient]:
    """The tenant's API clients, working ones first, newest first."""
    return list(db.session.scalars(clients_query(tenant)))


def get_api_client(tenant: Tenant, client_id: str) -> ApiClient:
    """The tenant's client `client_id` (NotFound otherwise)."""
    client = db.session.scalar(clients_query(tenant).where(ApiClient.client_id == client_id))
    if client is None:
        raise NotFound(client_id, "No such API client.")
    return client


def live_tokens(tenant: Tenant) -> dict[int, int]:
    """Unexpired tokens per working client of the tenant, in one grouped query."""
    rows = db.session.execute(
        select(AccessToken.client_pk, func.count())
        .join(ApiClient, ApiClient.id == AccessToken.client_pk)
        .where(
            AccessToken.tenant_id == tenant.id,
            ApiClient.revoked_at.is_(None),
            AccessToken.expires_at > utcnow(),
        )
        .group_by(AccessToken.client_pk)
    )
    return dict(rows.all())


def revoke_api_client(client_id: str, tenant: Tenant | None = None) -> ApiClient:
    """Revoke a client: it gets no new tokens and its tokens stop working at once."""
    stmt = select(ApiClient).where(ApiClient.client_id == client_id)
    if tenant is not None:
        stmt = stmt.where(ApiClient.tenant_id == tenant.id)
    client = db.session.scalar(stmt)
    if client is None:
        raise NotFound(client_id, f"No client with id '{client_id}'.")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.flush()
    return client


def set_languages(tenant: Tenant, languages: list[str], default: str | None) -> Tenant:
    """Change the tenant's languages and default language (stored texts keep every language)."""
    languages, default = validate_languages(languages, default)
    tenant.languages = languages
    tenant.default_language = default
    db.session.flush()
    return tenant
