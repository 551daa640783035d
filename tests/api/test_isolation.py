"""Tenant isolation over every route of the API blueprint, found by walking the URL map.

A token of tenant globex, service or storefront, gets the same 403 on tenant acme's paths
whether the records they name exist there or not, or whether acme exists at all: the answer
reveals nothing, and nothing changes. A route added to the blueprint is walked without
anyone listing it here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from segments_app import create_app, jobs
from segments_app.extensions import db
from segments_app.models import Customer, Tenant
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from segments_app.services.imports import create_import, run_import
from segments_app.services.tenants import create_tenant
from tests.apis import Api, Credentials, customer_api
from tests.factories import (
    OTHER_TENANT,
    TENANT,
    add_category,
    add_customer,
    add_legal_entity,
    add_product,
    directory,
)

KNOWN = "known"
MISSING = "missing"
NO_TENANT = "nosuchtenant"
#: path arguments that are not record ids: what to put in them on every walk
FIXED_ARGUMENTS = {"item_type": "PRODUCT"}
#: path arguments the victim fixture makes a record KNOWN for
MADE = {
    "segment_id",
    "customer_id",
    "legal_entity_id",
    "item_id",
    "record_id",
    "import_id",
    "evaluation_id",
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PASSWORD = "long enough secret"
#: hashed once: hashing is deliberately slow, and a hundred tests sign customers in
PASSWORD_HASH = generate_password_hash(PASSWORD)

# Only the URL map is read; the app is never served or connected to a database.
_MAP_APP = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "url-map-only"})


def _choices(rule: Rule) -> dict[str, list[str]]:
    """Arguments restricted to a list of words (`any(...)` converters), with their words."""
    # werkzeug has no public accessor for a rule's converters
    converters = rule._converters
    return {
        name: sorted(converter.items)
        for name, converter in converters.items()
        if hasattr(converter, "items")
    }


def _routes() -> Iterator[tuple[str, Rule, dict[str, str]]]:
    """(method, rule, word arguments) for every method of every rule of the api blueprint."""
    for rule in sorted(_MAP_APP.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        choices = _choices(rule)
        combos: list[dict[str, str]] = [{}]
        for name, words in choices.items():
            combos = [{**combo, name: word} for combo in combos for word in words]
        for method in sorted(rule.methods - IGNORED_METHODS):
            for combo in combos:
                yield method, rule, combo


ROUTES = list(_routes())


def _route_id(method: str, rule: Rule, words: dict[str, str]) -> str:
    path = rule.rule.removeprefix("/customer-segment/<tenant>")
    for name, word in words.items():
        path = path.replace(next(p for p in path.split("/") if p.endswith(f":{name}>")), word)
    return f"{method} {path}"


def _path(
    rule: Rule,
    words: dict[str, str],
    tenant: str,
    record_id: str,
    numbered: dict[str, str] | None = None,
) -> str:
    """The rule's path with every record argument `record_id`; `numbered` gives the ids the
    database chose (a rule evaluation's) for walks that name the victim's own records."""
    values = {**dict.fromkeys(rule.arguments, record_id), **FIXED_ARGUMENTS, **words}
    values.update(numbered or {})
    values["tenant"] = tenant
    built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    path = built[1]
    assert path.startswith(f"/customer-segment/{tenant}/"), path
    return path


@dataclass
class World:
    """Tenant acme (the victim) with a record called KNOWN of every kind, and tenant globex's
    tokens (the strangers): made once for the class's tests, which only read it or are refused."""

    victim: Api
    strangers: dict[str, Api]
    #: path arguments whose KNOWN record has an id the database chose
    numbered: dict[str, str]


def _client_maker(app) -> Callable[..., Credentials]:
    """conftest's make_client for a fixture wider than a test: an API client through the CLI."""
    cli = app.test_cli_runner()

    def make(
        tenant: str = TENANT, scopes=(SCOPE_MANAGE, SCOPE_READ), grants=("client_credentials",)
    ) -> Credentials:
        args = ["api-clients", "create", "--tenant", tenant]
        args += [arg for scope in scopes for arg in ("--scope", scope)]
        args += [arg for grant in grants for arg in ("--grant", grant)]
        result = cli.invoke(args=args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        return Credentials(data["client_id"], data["client_secret"], tenant)

    return make


def _service_api(client, make_client, tenant: str) -> Api:
    """Manage + read access to `tenant` with a client_credentials token."""
    creds = make_client(tenant)
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": creds.basic},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return Api(client, response.get_json()["access_token"], tenant)


def _make_victim(app, api: Api) -> dict[str, str]:
    """Tenant acme, with a record called KNOWN of every kind, assigned to segment KNOWN; returns
    the ids the database chose for its records that cannot be called KNOWN."""
    with directory(app):
        add_legal_entity(TENANT, KNOWN)
        add_customer(TENANT, KNOWN, legal_entity_ids=(KNOWN,))
        add_category(TENANT, KNOWN)
        add_product(TENANT, KNOWN, (KNOWN,))
    segment = {"id": KNOWN, "name": {"en": "Known"}, "siteCode": "main", "status": "ACTIVE"}
    assert api.post("/segments", json=segment).status_code == 201
    for path in ("customers/known", "customers/known/known", "items/PRODUCT/known"):
        assert api.put(f"/segments/{KNOWN}/{path}").status_code == 201, path
    assert api.put(f"/segments/{KNOWN}/items/CATEGORY/{KNOWN}").status_code == 201
    rule = {"rule": {"field": "id", "op": "equals", "value": KNOWN}}
    saved = api.put(f"/segments/{KNOWN}/rule", json=rule)
    assert saved.status_code == 202
    assert jobs.wait_idle(app, 30)
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == TENANT))
        imp = create_import(
            tenant, KNOWN, io.BytesIO(b"customerId\nknown\nstranger\n"), "known.csv", enqueue=False
        )
        imp.id = KNOWN
        pk = imp.pk
        db.session.commit()
        run_import(pk)  # a finished preview, with one rejected row to download
    return {"evaluation_id": saved.get_json()["id"]}


@pytest.fixture(scope="class")
def world(app, shared_rows) -> World:
    """The victim and both strangers, for every test of the class (shared_rows keeps them
    between its tests and clears them after the last). Each test checks by snapshot that
    its calls changed nothing, so the next test starts from the same data."""
    with app.app_context():
        create_tenant(TENANT, ["en", "de"], "en")
        create_tenant(OTHER_TENANT, ["en"], "en")
        db.session.commit()
    client = app.test_client()
    make_client = _client_maker(app)
    victim = _service_api(client, make_client, TENANT)
    numbered = _make_victim(app, victim)
    with directory(app):
        _shopper(OTHER_TENANT, "gus", "gus@globex.example")
    strangers = {
        "service": _service_api(client, make_client, OTHER_TENANT),
        "storefront": customer_api(
            client, make_client, "gus@globex.example", PASSWORD, OTHER_TENANT
        ),
    }
    return World(victim, strangers, numbered)


@pytest.fixture
def victim(app, api) -> Api:
    """The victim's data for a test of its own (one that adds to it)."""
    _make_victim(app, api)
    return api


@pytest.fixture(params=["service", "storefront"])
def stranger(request, world) -> Api:
    """A token of tenant globex: a service client with every scope, or a signed-in customer."""
    return world.strangers[request.param]


def _shopper(tenant: str, customer_id: str, email: str | None = None) -> None:
    """Give the customer `customer_id` of `tenant` (made if missing) the storefront PASSWORD."""
    customer = db.session.scalar(
        select(Customer).join(Tenant).where(Tenant.name == tenant, Customer.id == customer_id)
    )
    if customer is None:
        customer = add_customer(tenant, customer_id, email)
    customer.password_hash = PASSWORD_HASH


def _snapshot(victim: Api) -> list:
    """What acme's own token reads of its data."""
    paths = [
        "/segments",
        f"/segments/{KNOWN}/customers",
        f"/segments/{KNOWN}/items",
        f"/segments/{KNOWN}/imports",
        *(f"/directory/{c}" for c in ("customers", "legal-entities", "categories", "products")),
    ]
    return [victim.get(path).get_json() for path in paths]


def _call(caller: Api, method: str, path: str):
    kwargs = {} if method == "GET" else {"json": {}}
    return caller.client.open(path, method=method, headers=caller._headers(None), **kwargs)


class TestTheWalk:
    """Every route, walked by both strangers over one World: a test changes nothing (its
    snapshots say so), so seeding the tenants once instead of for each test checks as much."""

    @pytest.mark.parametrize(
        ("method", "rule", "words"), ROUTES, ids=[_route_id(*route) for route in ROUTES]
    )
    def test_another_tenants_token_learns_nothing_and_changes_nothing(
        self, world, stranger, method, rule, words
    ):
        victim = world.victim
        assert stranger.get("/segments").status_code == 200  # the token works at home
        before = _snapshot(victim)

        existing = _call(stranger, method, _path(rule, words, TENANT, KNOWN, world.numbered))
        absent = _call(stranger, method, _path(rule, words, TENANT, MISSING))
        nowhere = _call(stranger, method, _path(rule, words, NO_TENANT, KNOWN, world.numbered))

        assert existing.status_code == 403, existing.get_data(as_text=True)
        assert existing.get_json()["code"] == 403
        for other in (absent, nowhere):
            assert other.status_code == 403
            assert other.get_data() == existing.get_data()
        assert _snapshot(victim) == before

    @pytest.mark.parametrize(
        ("method", "rule", "words"),
        [route for route in ROUTES if route[0] == "GET"],
        ids=[_route_id(*route) for route in ROUTES if route[0] == "GET"],
    )
    def test_the_walked_paths_name_records_the_owner_can_read(self, world, method, rule, words):
        """Guards the walk above: its KNOWN paths point at data, so its 403s hide something."""
        victim = world.victim
        unmade = set(rule.arguments) - MADE - set(FIXED_ARGUMENTS) - set(words) - {"tenant"}
        if unmade:
            pytest.skip(f"the victim has no record KNOWN for {sorted(unmade)}; the walk still ran")
        response = _call(victim, method, _path(rule, words, TENANT, KNOWN, world.numbered))
        assert response.status_code == 200, response.get_data(as_text=True)


def test_a_customer_token_reads_its_own_tenant_only(
    app, client, make_client, make_api, victim, other_tenant
):
    """Customer `known` of acme and customer `known` of globex, each in a segment `known`."""
    globex = make_api(tenant=OTHER_TENANT)
    with directory(app):
        _shopper(OTHER_TENANT, KNOWN, "known@globex.example")
        _shopper(TENANT, KNOWN)
        add_product(OTHER_TENANT, "globex-p")
    segment = {"id": KNOWN, "name": {"en": "Globex"}, "siteCode": "main", "status": "ACTIVE"}
    assert globex.post("/segments", json=segment).status_code == 201
    assert globex.put(f"/segments/{KNOWN}/customers/{KNOWN}").status_code == 201
    assert globex.put(f"/segments/{KNOWN}/items/PRODUCT/globex-p").status_code == 201
    acme_known = customer_api(client, make_client, "known@example.com", PASSWORD, TENANT)
    globex_known = customer_api(client, make_client, "known@globex.example", PASSWORD, OTHER_TENANT)

    for path in ("/segments", f"/segments/{KNOWN}", "/segments/items", f"/segments/{KNOWN}/items"):
        assert acme_known.get(path).get_json(), path
        assert globex_known.get(path).get_json(), path
        assert Api(client, globex_known.token, TENANT).get(path).status_code == 403, path
        assert Api(client, acme_known.token, OTHER_TENANT).get(path).status_code == 403, path
    trees = "/segments/items/category-trees"
    assert acme_known.get(trees).get_json()[0]["id"] == KNOWN
    assert Api(client, globex_known.token, TENANT).get(trees).status_code == 403
