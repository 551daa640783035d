"""A marketer's own account: change the password (every other session of theirs ends)."""

from __future__ import annotations

from flask import request, url_for
from flask_login import current_user, login_user

from ..errors import ValidationFailed
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
    try:
        accounts.change_password(
            user,
            form.current_password.data or "",
            form.new_password.data or "",
            form.repeat_password.data or "",
            request.remote_addr,
        )
    except ValidationFailed as error:
        form.show_errors(error)
        return render(PAGE, FORM, status=422, form=form)
    login_user(user)
    message = "Your password is changed; other browsers are logged out."
    if wants_fragment():
        return notify(render(PAGE, FORM, form=PasswordForm(formdata=None)), message)
    return go(url_for("web.account"), message)
