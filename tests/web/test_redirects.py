"""Where the dashboard sends the browser after a write or a login: only to a plain path of
this site, whatever a `back` or `next` parameter says."""

from __future__ import annotations

import pytest

from tests.logins import CSRF, PASSWORD

REFUSED = [
    "/segments%0d%0aSet-Cookie:%20x=1",
    "/segments%0aLocation:%20https://evil.example/",
    "/segments%0d",
    "/segments%09x",
    "/segments%7fx",
    "//evil.example/",
    "/%5cevil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
]


def _toggle(editor, back: str, htmx: bool = False):
    """The status toggle with a raw (already percent-encoded) `back` in the form body."""
    version = 1
    return editor.post(
        "/segments/gold/status",
        data=f"status=INACTIVE&version={version}&back={back}",
        content_type="application/x-www-form-urlencoded",
        htmx=htmx,
    )


@pytest.mark.parametrize("back", REFUSED)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_status_toggle_ignores_a_back_that_is_not_a_plain_local_path(editor, gold, back, htmx):
    response = _toggle(editor, back, htmx)
    assert response.status_code in (200, 303)
    if htmx:
        assert 'value="/segments"' in response.get_data(as_text=True)
    else:
        assert response.headers["Location"] == "/segments"


def test_a_status_toggle_keeps_a_local_back_with_its_query(editor, gold):
    response = _toggle(editor, "/segments%3Fq%3Dgo%26site%3Dmain")
    assert response.headers["Location"] == "/segments?q=go&site=main"


def test_a_back_outside_ascii_is_sent_percent_encoded(editor, gold):
    """Header values are Latin-1 at most: HX-Redirect gets the back URL percent-encoded."""
    response = editor.post(
        "/segments/gold/delete",
        data="back=/segments%3Fq%3D%E6%AE%B5",
        content_type="application/x-www-form-urlencoded",
        htmx=True,
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/segments?q=%E6%AE%B5"


@pytest.mark.parametrize("target", REFUSED)
def test_a_login_ignores_a_next_that_is_not_a_plain_local_path(client, make_browser, target):
    make_browser("editor", email="anna@acme.example")
    page = client.get(f"/login?next={target}")
    assert page.status_code == 200
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        f"/login?next={target}",
        data=f"team=acme&email=anna%40acme.example&password={PASSWORD.replace(' ', '+')}"
        f"&csrf_token={token}&next={target}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    again = client.get(f"/login?next={target}")
    assert again.status_code == 302
    assert again.headers["Location"] == "/"
