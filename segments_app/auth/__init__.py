"""Authentication: marketer login for the dashboard, and the OAuth2 token endpoint for the API."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import csrf, db, login_manager
from ..models import User
from ..services.accounts import LoginRefused, authenticate
from ..web.forms import LoginForm
from ..web.redirects import local_url
from .oauth import authorization

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.post("/oauth/token")
@csrf.exempt
def token():
    """Issue an access token (client_credentials, or password for a storefront customer)."""
    try:
        return authorization.create_token_response()
    except InsecureTransportError as error:
        # Authlib refuses plain http outside localhost; behind a TLS proxy, set PROXY_FIX_HOPS.
        return authorization.handle_error_response(None, error)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never redirect a login elsewhere."""
    return local_url(target, url_for("web.overview"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The dashboard's login page."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except LoginRefused as refused:
            db.session.commit()  # keep the failure count even though the login fails
            form.password.errors.append(refused.message)
            status = 422
        else:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(form.next.data), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"), code=303)
