"""Marketer login: the form, the throttle on password attempts, CSRF, cookies, logout."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from segments_app.services.accounts import WRONG_LOGIN
from tests.logins import CSRF, PASSWORD, log_in

ANNA = "anna@acme.example"
TOO_MANY = re.compile(r"Too many attempts\. Try again in (\d+) seconds\.")


def _csrf(client) -> str:
    return CSRF.search(client.get("/login").get_data(as_text=True)).group(1)


def _error(response) -> str:
    """The message shown beside the password field."""
    match = re.search(r'id="f-password-errors">\s*<li>([^<]*)</li>', response.text)
    return match.group(1) if match else ""


def _attempt(app, email: str, password: str, address: str = "10.0.0.1", team: str = "acme"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return log_in(client, team, email, password)


def test_pages_need_login(client, tenant):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_login_and_logout(app, make_browser):
    browser = make_browser("viewer")
    page = browser.get("/")
    assert page.status_code == 200
    assert "viewer@acme.example" in page.get_data(as_text=True)
    out = browser.post("/logout", data={"csrf_token": browser.csrf})
    assert out.status_code == 303
    assert browser.get("/").status_code == 303


def test_a_wrong_password_is_refused_beside_the_field(app, make_browser):
    make_browser("editor", email=ANNA)
    response = _attempt(app, ANNA, "wrong")
    assert response.status_code == 422
    assert _error(response) == WRONG_LOGIN
    assert 'aria-invalid="true"' in response.text


def test_a_wrong_team_is_refused_like_a_wrong_password(app, make_browser, other_tenant):
    make_browser("editor", email=ANNA)
    assert _error(_attempt(app, ANNA, PASSWORD, team="globex")) == WRONG_LOGIN
    assert _error(_attempt(app, ANNA, PASSWORD, team="nosuchteam")) == WRONG_LOGIN
    assert _attempt(app, ANNA, PASSWORD, team="ACME ").status_code == 303


def test_five_failures_in_a_minute_lock_the_login_at_that_address(app, make_browser):
    make_browser("editor", email=ANNA)
    for _ in range(5):
        assert _error(_attempt(app, ANNA, "nope")) == WRONG_LOGIN
    locked = _attempt(app, ANNA, PASSWORD)
    assert locked.status_code == 422
    wait = TOO_MANY.fullmatch(_error(locked))
    assert wait is not None and 1 <= int(wait[1]) <= 60


def test_the_lock_leaves_the_real_user_at_another_address_alone(app, make_browser):
    make_browser("editor", email=ANNA)
    for _ in range(8):
        _attempt(app, ANNA, "a stranger's guess", address="203.0.113.9")
    assert TOO_MANY.fullmatch(_error(_attempt(app, ANNA, PASSWORD, address="203.0.113.9")))
    assert _attempt(app, ANNA, PASSWORD, address="198.51.100.7").status_code == 303


def test_unknown_and_known_logins_get_the_same_answers_all_the_way(app, make_browser):
    make_browser("editor", email=ANNA)
    known = [_error(_attempt(app, ANNA, "nope", address="10.0.0.2")) for _ in range(7)]
    unknown = [
        _error(_attempt(app, "nobody@acme.example", "nope", address="10.0.0.3")) for _ in range(7)
    ]
    assert [TOO_MANY.sub("<wait>", m) for m in known] == [
        TOO_MANY.sub("<wait>", m) for m in unknown
    ]
    assert known[:5] == [WRONG_LOGIN] * 5 and TOO_MANY.fullmatch(known[5])


def test_one_address_guessing_many_logins_is_held_back(app, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_ATTEMPTS", 6)
    make_browser("editor", email=ANNA)
    for n in range(6):
        assert _error(_attempt(app, f"guess{n}@acme.example", "x", address="10.9.9.9")) == (
            WRONG_LOGIN
        )
    assert TOO_MANY.fullmatch(_error(_attempt(app, ANNA, PASSWORD, address="10.9.9.9")))
    assert _attempt(app, ANNA, PASSWORD, address="10.9.9.10").status_code == 303


def test_right_passwords_give_their_address_its_attempt_back(app, make_browser, monkeypatch):
    """An office behind one address, where many people log in every minute, is not held back."""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_ATTEMPTS", 3)
    for n in range(6):
        make_browser("viewer", email=f"person{n}@acme.example")
    for n in range(6):
        assert _attempt(app, f"person{n}@acme.example", PASSWORD).status_code == 303


def test_guessing_from_many_addresses_locks_the_login_itself(app, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_ATTEMPTS", 4)
    make_browser("editor", email=ANNA)
    for n in range(4):
        assert _error(_attempt(app, ANNA, "x", address=f"192.0.2.{n}")) == WRONG_LOGIN
    assert TOO_MANY.fullmatch(_error(_attempt(app, ANNA, PASSWORD, address="192.0.2.200")))


@pytest.mark.live
@pytest.mark.real_password_cost
def test_parallel_wrong_passwords_are_checked_at_most_the_allowed_number_of_times(
    app, make_browser, live_server
):
    make_browser("editor", email=ANNA)
    sessions = []
    for _ in range(40):
        session = requests.Session()
        token = CSRF.search(session.get(f"{live_server}/login", timeout=30).text).group(1)
        sessions.append((session, token))
    start = threading.Barrier(len(sessions))
    answers: list[str] = []

    def guess(session: requests.Session, token: str) -> None:
        data = {"team": "acme", "email": ANNA, "password": "guess", "csrf_token": token}
        start.wait()
        response = session.post(f"{live_server}/login", data=data, timeout=60)
        answers.append(_error(response))

    threads = [threading.Thread(target=guess, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 40
    checked = answers.count(WRONG_LOGIN)
    assert checked <= app.config["LOGIN_ATTEMPTS"]
    assert all(a == WRONG_LOGIN or TOO_MANY.fullmatch(a) for a in answers), set(answers)
    right = log_in(requests.Session(), "acme", ANNA, PASSWORD, live_server)
    assert right.status_code == 422 and TOO_MANY.fullmatch(_error(right))


def test_login_without_csrf_token_is_refused(app, client, make_browser):
    make_browser("editor", email=ANNA)
    response = client.post("/login", data={"team": "acme", "email": ANNA, "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_lax(app, client, make_browser):
    make_browser("editor", email=ANNA)
    response = log_in(client, "acme", ANNA, PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_login_form_remembers_the_team_and_takes_it_from_a_link(app, client, make_browser):
    make_browser("editor", email=ANNA)
    assert 'name="team" type="text" value=""' in client.get("/login").text
    assert 'name="team" type="text" value="acme"' in client.get("/login?team=acme").text
    log_in(client, "acme", ANNA, PASSWORD)
    client.post("/logout", data={"csrf_token": CSRF.search(client.get("/").text).group(1)})
    assert 'name="team" type="text" value="acme"' in client.get("/login").text


def test_login_does_not_redirect_off_site(app, client, make_browser):
    make_browser("editor", email=ANNA)
    response = client.post(
        "/login",
        data={
            "team": "acme",
            "email": ANNA,
            "password": PASSWORD,
            "csrf_token": _csrf(client),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


def test_htmx_request_without_login_gets_a_location_not_a_page(client, tenant):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "/login" in response.headers["HX-Redirect"]


def test_a_stranger_hammering_at_one_address_never_locks_the_login_elsewhere(
    app, make_browser, monkeypatch
):
    """Attempts refused at the stranger's address count nowhere, so they cannot add up to the
    limit of the login from all addresses."""
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_ATTEMPTS", 8)
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_ATTEMPTS", 100)
    make_browser("editor", email=ANNA)
    answers = [_error(_attempt(app, ANNA, "guess", address="203.0.113.66")) for _ in range(30)]
    assert answers.count(WRONG_LOGIN) == 5
    assert _attempt(app, ANNA, PASSWORD, address="198.51.100.8").status_code == 303


def test_guessing_the_current_password_on_the_account_page_is_throttled(app, make_browser):
    here = make_browser("editor", email=ANNA)
    form = {"current_password": "guess", "new_password": "x" * 12, "repeat_password": "x" * 12}
    for _ in range(5):
        answer = here.post("/account/password", data=form)
        assert "This is not your current password." in answer.text
    form["current_password"] = PASSWORD
    refused = here.post("/account/password", data=form)
    assert refused.status_code == 422
    assert TOO_MANY.search(refused.text)
