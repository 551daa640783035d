"""A marketer's own account: change the password (every other session of theirs ends)."""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user, login_user

from ..services import accounts
from . import bp
from .forms import PasswordForm
from .htmx import go, notify, render, wants_fragment

PAGE, FORM = "account/account.html", "account/_password_form.html"


@bp.get("/account")
def account():
    """Who is logged in, and a form to change the password."""
    return render(PAGE, FORM, form=PasswordForm())


@bp.post("/account/password")
def account_password():
    """Change the password; this browser stays logged in under the new session token."""
    user = current_user._get_current_object()
    form = PasswordForm()
    passwords = form.current_password.data, form.new_password.data, form.repeat_password.data
    form.attempt(accounts.change_password, user, *passwords, request.remote_addr)
    if form.failed:
        return render(PAGE, FORM, status=422, form=form)
    login_user(user)
    message = "Your password is changed; other browsers are logged out."
    if wants_fragment():
        return notify(render(PAGE, FORM, form=PasswordForm(formdata=None)), message)
    return go(url_for("web.account"), message)
