"""Settings for admins: users and roles, API clients, the tenant's languages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, g, make_response, request, url_for
from flask_login import current_user, login_user

from ..errors import Conflict, ValidationFailed
from ..models import User
from ..models.accounts import ROLES
from ..models.tenants import ALL_SCOPES, GRANTS, SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from ..services import accounts
from . import bp, can
from .forms import ClientForm, LanguagesForm, UserForm
from .htmx import go, notify, refresh_trigger, render, wants_fragment

#: events that make the lists reload themselves after something was added elsewhere on the page
USERS_CHANGED = "users-changed"
CLIENTS_CHANGED = "clients-changed"
#: the value of the "default" radio that belongs to the row for new languages
NEW_LANGUAGE = "+"

SCOPE_HELP = {
    SCOPE_MANAGE: "Create, change and delete segments, their members and items.",
    SCOPE_READ: "Read segments, their members and items.",
    SCOPE_READ_OWN: "Customer tokens: a signed-in customer reads its own segments "
    "(needs the password grant).",
}
GRANT_HELP = {
    "client_credentials": "A service asks for tokens with the client id and secret.",
    "password": "A storefront signs customers in with their email and password.",
}


def _done(fragment: Callable[[], Response], url: str, message: str) -> Response:
    """After a write: the changed fragment and a toast for htmx, Post/Redirect/Get otherwise."""
    if wants_fragment():
        return notify(fragment(), message)
    return go(url, message)


def _shown_once(response: Response, event: str) -> Response:
    """A response that carries a secret: never cached; the list beside it reloads."""
    response.headers["Cache-Control"] = "no-store"
    if wants_fragment():
        refresh_trigger(response, event)
    return response


# users


def _users_page(fragment: str, status: int = 200, **context) -> Response:
    context.setdefault("form", UserForm(formdata=None))
    context.setdefault("row_errors", {})
    users = accounts.list_users(g.tenant)
    return render(
        "settings/users.html", fragment, status=status, users=users, roles=ROLES, **context
    )


@bp.get("/settings")
@can("admin")
def settings():
    """The tenant's users with their roles, and a form to add one."""
    return _users_page("settings/_users_table.html")


def _user_row(user: User, status: int = 200, **context) -> Response:
    return _users_page("settings/_user_row.html", status, user=user, **context)


@bp.post("/settings/users")
@can("admin")
def settings_user_create():
    """Add a user; a password left empty is generated and shown on the response, once."""
    form = UserForm()
    data = form.email.data, form.role.data, form.password.data
    added = form.attempt(accounts.add_user, g.tenant, *data)
    if form.failed:
        return _users_page("settings/_user_form.html", 422, form=form)
    user, generated = added
    message = f"Added {user.email} as {user.role}."
    if generated is None:
        return _done(
            lambda: refresh_trigger(_users_page("settings/_user_form.html"), USERS_CHANGED),
            url_for("web.settings"),
            message,
        )
    response = _users_page(
        "settings/_user_created.html",
        201,
        created=user,
        password=generated,
        login_url=request.host_url.rstrip("/") + url_for("auth.login", team=g.tenant.name),
    )
    return _shown_once(response, USERS_CHANGED)


@bp.post("/settings/users/<int:user_id>/role")
@can("admin")
def settings_user_role(user_id: int):
    """Change a user's role in place; the service keeps at least one admin."""
    role = request.form.get("role", "")
    try:
        user = accounts.set_role(g.tenant, user_id, role)
    except (Conflict, ValidationFailed) as error:
        user = accounts.get_user(g.tenant, user_id)
        return _user_row(user, 422, row_errors={user.id: error.message}, focus=True)
    if user.id == current_user.id:
        login_user(user)  # the role change ended this user's sessions; keep this one
    if user.id == current_user.id and not user.can("admin"):
        return go(url_for("web.overview"), f"You are now {role}; settings are for admins.")
    return _done(
        lambda: _user_row(user, focus=True),
        url_for("web.settings"),
        f"{user.email} is now {role}.",
    )


@bp.route("/settings/users/<int:user_id>/delete", methods=["GET", "POST"])
@can("admin")
def settings_user_delete(user_id: int):
    """Ask, then remove a user. Admins cannot remove themselves, so nobody locks themself out."""
    user = accounts.removable_user(g.tenant, user_id, current_user)
    if request.method == "GET":
        return render("settings/user_delete.html", user=user)
    email = user.email
    accounts.delete_user(g.tenant, user_id, current_user)
    # An empty 200 replaces the row with nothing.
    return _done(lambda: make_response("", 200), url_for("web.settings"), f"Removed {email}.")


# API clients


def _clients_page(fragment: str, status: int = 200, **context) -> Response:
    context.setdefault("form", ClientForm(formdata=None))
    return render(
        "settings/clients.html",
        fragment,
        status=status,
        clients=accounts.list_clients(g.tenant),
        live=accounts.live_tokens(g.tenant),
        scopes=ALL_SCOPES,
        grants=GRANTS,
        scope_help=SCOPE_HELP,
        grant_help=GRANT_HELP,
        **context,
    )


@bp.get("/settings/clients")
@can("admin")
def settings_clients():
    """The tenant's API clients with their live tokens, and a form to create one."""
    return _clients_page("settings/_clients_table.html")


@bp.post("/settings/clients")
@can("admin")
def settings_client_create():
    """Create a client; its secret is shown on this response only."""
    form = ClientForm()
    new = form.attempt(
        accounts.create_api_client, g.tenant, form.scopes.data, form.grants.data, form.name.data
    )
    if form.failed:
        return _clients_page("settings/_client_form.html", 422, form=form)
    response = _clients_page(
        "settings/_client_created.html",
        201,
        new=new,
        token_url=request.host_url.rstrip("/") + url_for("auth.token"),
    )
    return _shown_once(response, CLIENTS_CHANGED)


@bp.route("/settings/clients/<client_id>/revoke", methods=["GET", "POST"])
@can("admin")
def settings_client_revoke(client_id: str):
    """Ask, then revoke a client: it gets no new tokens and its tokens stop working at once."""
    client = accounts.get_api_client(g.tenant, client_id)
    if request.method == "GET":
        live = accounts.live_tokens(g.tenant).get(client.id, 0)
        return render("settings/client_revoke.html", client=client, live=live)
    client = accounts.revoke_api_client(client_id, g.tenant)
    return _done(
        lambda: render("settings/_client_row.html", client=client, live={}),
        url_for("web.settings_clients"),
        f"Revoked {client.name or client.client_id}; its tokens no longer work.",
    )


# languages


def _languages_page(status: int = 200, form: LanguagesForm | None = None) -> Response:
    tenant = g.tenant
    if form is None:
        form = LanguagesForm(formdata=None, default=tenant.default_language)
    return render(
        "settings/languages.html",
        "settings/_languages_form.html",
        status=status,
        languages=list(tenant.languages),
        new_language=NEW_LANGUAGE,
        form=form,
    )


@bp.get("/settings/languages")
@can("admin")
def settings_languages():
    """The tenant's languages and its default language."""
    return _languages_page()


@bp.post("/settings/languages")
@can("admin")
def settings_languages_save():
    """Keep, remove and add languages, and choose the default among them."""
    tenant = g.tenant
    form = LanguagesForm()
    form.attempt(accounts.set_languages, tenant, *form.chosen(tenant.languages, NEW_LANGUAGE))
    if form.failed:
        return _languages_page(422, form)
    return _done(
        _languages_page,
        url_for("web.settings_languages"),
        f"Saved: {', '.join(tenant.languages)}; default {tenant.default_language}.",
    )
