"""The account rules the settings pages rely on, called as the services they are."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from segments_app.errors import Conflict, ValidationFailed
from segments_app.extensions import db
from segments_app.services import accounts


@pytest.fixture
def acme(ctx, tenant):
    return accounts.find_tenant(tenant)


def test_an_admin_cannot_remove_themself_but_another_user(acme):
    admin = accounts.create_user(acme, "admin@acme.example", "admin", "a-long-password")
    other = accounts.create_user(acme, "nina@acme.example", "editor", "a-long-password")
    with pytest.raises(Conflict, match="You cannot remove yourself"):
        accounts.delete_user(acme, admin.id, by=admin)
    accounts.delete_user(acme, other.id, by=admin)
    assert [user.email for user in accounts.list_users(acme)] == ["admin@acme.example"]


def test_an_email_longer_than_its_column_is_refused_on_the_email_field(acme):
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_user(acme, "a" * 320 + "@x.example", "editor", "a-long-password")
    assert refused.value.by_field() == {"email": ["Use at most 320 characters."]}


def test_a_user_added_without_a_password_gets_one_generated_and_shown(acme):
    user, generated = accounts.add_user(acme, "nina@acme.example", "viewer")
    assert generated
    assert check_password_hash(user.password_hash, generated)
    typed, none = accounts.add_user(acme, "olaf@acme.example", "viewer", "a-long-password")
    assert none is None and typed.email == "olaf@acme.example"


def test_a_client_name_longer_than_its_column_is_refused_on_the_name_field(acme):
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_api_client(acme, ["customersegment.segment_read"], [], "n" * 201)
    assert refused.value.by_field() == {"name": ["Use at most 200 characters."]}


def test_live_tokens_count_nothing_for_a_new_client(acme):
    new = accounts.create_api_client(acme, ["customersegment.segment_read"], [], "CRM")
    db.session.flush()
    assert accounts.live_tokens(acme) == {}
    assert accounts.get_api_client(acme, new.client.client_id) is new.client
    assert accounts.list_clients(acme) == [new.client]
