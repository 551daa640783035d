"""Session cookies die with logout, deletion, a password change and a role change, and are never
handed on to another user; logins are per tenant and say nothing about other tenants."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import User
from segments_app.services.accounts import create_user
from tests.factories import tenant_named
from tests.logins import CSRF, PASSWORD, log_in

NEW_PASSWORD = "a brand new long password"


def _session_cookie(browser) -> str:
    return browser.client.get_cookie("session").value


def _replay(app, cookie: str):
    """A fresh browser that only has a kept session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/settings")


def test_a_kept_cookie_of_a_deleted_user_opens_nothing_even_for_a_user_with_its_id(
    app, make_browser, other_tenant
):
    globex_admin = make_browser("admin", email="boss@globex.example", tenant_name="globex")
    victim_of_deletion = make_browser("admin", email="temp@globex.example", tenant_name="globex")
    kept = _session_cookie(victim_of_deletion)
    with app.app_context():
        old_id = db.session.scalar(select(User.id).where(User.email == "temp@globex.example"))
    assert globex_admin.post(f"/settings/users/{old_id}/delete").status_code == 303
    assert _replay(app, kept).status_code == 303

    # the worst case: a new admin of another tenant is given the deleted user's id
    with app.app_context():
        acme = tenant_named("acme")
        db.session.add(
            User(
                id=old_id,
                tenant_id=acme.id,
                email="new@acme.example",
                role="admin",
                password_hash="x",
            )
        )
        db.session.commit()
    answer = _replay(app, kept)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/login")


def test_ids_of_deleted_users_are_not_given_out_again(app, tenant):
    with app.app_context():
        acme = tenant_named("acme")
        first = create_user(acme, "first@acme.example", "editor", PASSWORD)
        db.session.flush()
        gone = create_user(acme, "gone@acme.example", "editor", PASSWORD)
        db.session.commit()
        gone_id = gone.id
        db.session.delete(gone)
        db.session.commit()
        after = create_user(acme, "after@acme.example", "editor", PASSWORD)
        db.session.commit()
        assert after.id > gone_id > first.id


def test_a_logged_out_cookie_replayed_is_not_logged_in(app, make_browser):
    browser = make_browser("admin")
    kept = _session_cookie(browser)
    assert _replay(app, kept).status_code == 200
    browser.post("/logout", data={"csrf_token": browser.csrf})
    assert _replay(app, kept).status_code == 303


def test_login_renews_the_session_and_its_csrf_token(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    before_token = CSRF.search(client.get("/login").text).group(1)
    before_cookie = client.get_cookie("session").value
    assert log_in(client, "acme", "anna@acme.example", PASSWORD).status_code == 303
    after_token = CSRF.search(client.get("/").text).group(1)
    assert client.get_cookie("session").value != before_cookie
    assert after_token != before_token


def test_a_role_change_ends_that_users_other_sessions(app, admin, make_browser):
    nina = make_browser("editor", email="nina@acme.example")
    assert nina.get("/").status_code == 200
    with app.app_context():
        nina_id = db.session.scalar(select(User.id).where(User.email == "nina@acme.example"))
    assert admin.post(f"/settings/users/{nina_id}/role", data={"role": "viewer"}).status_code < 400
    assert nina.get("/").status_code == 303
    assert admin.get("/settings").status_code == 200


def test_an_admin_who_changes_their_own_role_stays_logged_in(app, admin, make_browser):
    make_browser("admin", email="second@acme.example")
    with app.app_context():
        own = db.session.scalar(select(User.id).where(User.email == "admin@acme.example"))
    admin.post(f"/settings/users/{own}/role", data={"role": "editor"})
    assert admin.get("/").status_code == 200
    assert admin.get("/settings").status_code == 403


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, make_browser):
    here = make_browser("editor", email="anna@acme.example")
    other = app.test_client()
    assert log_in(other, "acme", "anna@acme.example", PASSWORD).status_code == 303
    assert other.get("/").status_code == 200

    page = here.get("/account")
    assert page.status_code == 200 and "Change your password" in page.text
    changed = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert here.get("/").status_code == 200
    assert other.get("/").status_code == 303
    assert log_in(app.test_client(), "acme", "anna@acme.example", PASSWORD).status_code == 422
    assert log_in(app.test_client(), "acme", "anna@acme.example", NEW_PASSWORD).status_code == 303


def test_password_change_errors_show_beside_their_fields_and_change_nothing(app, make_browser):
    here = make_browser("viewer", email="vic@acme.example")
    wrong = here.post(
        "/account/password",
        htmx=True,
        data={"current_password": "not it", "new_password": "short", "repeat_password": "x"},
    )
    assert wrong.status_code == 422
    assert 'id="f-current_password-errors"' in wrong.text
    assert "This is not your current password." in wrong.text
    assert 'id="f-new_password-errors"' in wrong.text
    assert "<html" not in wrong.text
    differ = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD + "!",
        },
    )
    assert differ.status_code == 422
    assert "The two new passwords differ." in differ.text
    assert log_in(app.test_client(), "acme", "vic@acme.example", PASSWORD).status_code == 303


def test_the_cli_sets_a_password_and_ends_every_session(app, cli, make_browser):
    browser = make_browser("editor", email="anna@acme.example")
    result = cli.invoke(
        args=["users", "set-password", "--tenant", "acme", "--email", "Anna@acme.example"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert browser.get("/").status_code == 303
    assert log_in(app.test_client(), "acme", "anna@acme.example", NEW_PASSWORD).status_code == 303


def test_an_email_of_another_tenant_can_have_an_account_here_too(app, make_browser, other_tenant):
    make_browser("admin", email="boss@globex.example", tenant_name="globex")
    acme_admin = make_browser("admin", email="admin@acme.example")
    created = acme_admin.post(
        "/settings/users",
        data={"email": "Boss@globex.example", "role": "viewer", "password": "acme's own password"},
    )
    assert created.status_code == 303
    assert "already" not in created.text
    acme_login = log_in(app.test_client(), "acme", "boss@globex.example", "acme's own password")
    assert acme_login.status_code == 303
    globex_login = log_in(app.test_client(), "globex", "boss@globex.example", PASSWORD)
    assert globex_login.status_code == 303
    # but not twice in one tenant
    again = acme_admin.post(
        "/settings/users", data={"email": "boss@globex.example", "role": "viewer", "password": ""}
    )
    assert again.status_code == 422
    assert "boss@globex.example already has an account here." in again.text


@pytest.mark.live
@pytest.mark.real_password_cost
def test_the_same_new_user_added_twice_at_once_is_added_once(app, make_browser, live_server):
    make_browser("admin", email="admin@acme.example")
    admins = []
    for _ in range(8):
        session = requests.Session()
        assert (
            log_in(session, "acme", "admin@acme.example", PASSWORD, live_server).status_code == 303
        )
        token = CSRF.search(session.get(f"{live_server}/settings", timeout=30).text).group(1)
        admins.append((session, token))
    start = threading.Barrier(len(admins))
    codes: list[int] = []

    def add(session: requests.Session, token: str) -> None:
        data = {"email": "twin@acme.example", "role": "viewer", "password": "", "csrf_token": token}
        start.wait()
        response = session.post(
            f"{live_server}/settings/users", data=data, allow_redirects=False, timeout=60
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=add, args=pair) for pair in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201] + [422] * 7, codes
