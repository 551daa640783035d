"""Fixtures shared by the customer-assignment tests (tests/api/test_customer_assignments*.py):
the directory they assign from and the segment they assign to. A module with a fixture of the
same name (a `people` or `segment` of its own) keeps using its own."""

from __future__ import annotations

import pytest

from tests.factories import add_customer, add_legal_entity, directory


@pytest.fixture
def people(app, tenant):
    """ann: B2C only; bob: of acme-le and beta-le (can sign in); cid: of acme-le."""
    with directory(app):
        add_legal_entity(tenant, "acme-le", "Acme Ltd")
        add_legal_entity(tenant, "beta-le", "Beta GmbH")
        add_customer(tenant, "ann", "ann@example.com", "Ann", "Archer")
        add_customer(
            tenant,
            "bob",
            "bob@example.org",
            "Bob",
            "Baker",
            legal_entity_ids=("acme-le", "beta-le"),
            password="bob-secret",
        )
        add_customer(tenant, "cid", "cid@example.com", "Cid", "Cole", ("acme-le",))


@pytest.fixture
def segment(make_segment):
    return make_segment(id="gold")
