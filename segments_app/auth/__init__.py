"""Authentication: marketer login for the dashboard, and the OAuth2 token endpoint for the API."""

from __future__ import annotations

import hmac

from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import csrf, db, login_manager
from ..models import User
from ..services.accounts import authenticate
from ..web.forms import LoginForm
from ..web.redirects import local_url
from .oauth import authorization

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"


#: remembers the team of the last login on this browser, to fill in the login form
TEAM_COOKIE = "segments_team"
TEAM_COOKIE_SECONDS = 365 * 24 * 3600


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user a session names, if its token is still that user's (see User.get_id)."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def start_session(user: User) -> None:
    """A fresh session (and with it a fresh CSRF token) for `user`: nothing of the session
    before, which someone else may have seen, carries over."""
    session.clear()
    # Flask-WTF keeps the token of this request in g too; drop it so the next one is new
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
    login_user(user)


@bp.post("/oauth/token")
@csrf.exempt
def token():
    """Issue an access token (client_credentials, or password for a storefront customer)."""
    try:
        return authorization.create_token_response()
    except InsecureTransportError as error:
        # Authlib refuses plain http outside localhost; behind a TLS proxy, set PROXY_FIX_HOPS.
        return authorization.handle_error_response(None, error)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The dashboard's login page: team, e-mail and password."""
    if current_user.is_authenticated:
        return redirect(local_url(request.args.get("next"), url_for("web.overview")))
    team = request.args.get("team") or request.cookies.get(TEAM_COOKIE, "")
    form = LoginForm(next=request.args.get("next", ""), team=team[:16])
    status = 200
    if form.validate_on_submit():
        credentials = form.team.data, form.email.data, form.password.data
        user = form.attempt(authenticate, *credentials, request.remote_addr)
        if user is not None:
            start_session(user)
            response = redirect(local_url(form.next.data, url_for("web.overview")), code=303)
            response.set_cookie(
                TEAM_COOKIE,
                user.tenant.name,
                max_age=TEAM_COOKIE_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=current_app.config["SESSION_COOKIE_SECURE"],
            )
            return response
    if request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Log out: this session, and every other one of the same user, stop working."""
    if current_user.is_authenticated:
        current_user.end_sessions()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
