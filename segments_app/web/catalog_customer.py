"""See the catalog as one customer: its effective segments, the category tree a storefront
would get, and which products it is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import g, request
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Customer, Segment
from ..query.i18n import LanguagePrefs
from ..services import catalog as service
from ..services import storefront
from ..services.assignments import customer_view, own_segment_pks
from ..services.directory import find_record
from ..services.segment_search import legal_entities_named, search_customers
from ..services.segments import segments_query
from . import bp, can
from .args import int_arg
from .htmx import render, wants_fragment

#: customers the picker offers at once
CANDIDATES = 10
#: a bound on the products one match request names
MATCH_TOKENS = 1000
_TOKENS = re.compile(r"[\s,;]+")


@dataclass
class CustomerLens:
    """A customer (and legal entity) picked on the page, and what a storefront shows it."""

    find: str = ""
    candidates: list[Customer] = field(default_factory=list)
    #: where the search for `find` goes on when it ran out of time (see services.substring)
    after: int | None = None
    read: int = 0
    customer: Customer | None = None
    entities: list[tuple[str, str | None]] = field(default_factory=list)
    entity: str = ""
    site: str = ""
    segments: list[Segment] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)
    problem: str = ""

    @property
    def sites(self) -> list[str]:
        return sorted({segment.site_code for segment in self.segments})


def _lens(values: MultiDict, with_trees: bool = True) -> CustomerLens:
    """Read the picked customer, legal entity and site; its segments (and category trees) as
    the API computes them for that customer's storefront token with legalEntityId (and
    siteCode)."""
    tenant = g.tenant
    lens = CustomerLens(find=values.get("find", "").strip())
    if lens.find:
        shown = int_arg(values.get("shown"), 0)
        want = max(1, CANDIDATES - shown)
        scan = search_customers(tenant, lens.find, int_arg(values.get("after"), 0), want)
        lens.candidates = scan.rows[:want]
        lens.after, lens.read = scan.resume, int_arg(values.get("read"), 0) + scan.read
    customer_id = values.get("customer", "").strip()
    if not customer_id:
        return lens
    lens.customer = find_record(Customer, tenant, customer_id)
    if lens.customer is None:
        lens.problem = f"There is no customer {customer_id} in the directory."
        return lens
    entity_ids = lens.customer.legal_entity_ids
    names = dict(db.session.execute(legal_entities_named(tenant, entity_ids)).all())
    lens.entities = [(entity_id, names.get(entity_id)) for entity_id in entity_ids]
    entity = values.get("legal_entity", "").strip()
    lens.entity = entity if entity in {entity_id for entity_id, _ in lens.entities} else ""
    own = customer_view(lens.customer, lens.entity or None)
    lens.segments = list(
        db.session.scalars(segments_query(tenant, only_effective=True, membership=own))
    )
    site = values.get("site", "").strip()
    lens.site = site if site in lens.sites else ""
    if not with_trees:
        return lens
    prefs = LanguagePrefs((), tenant.default_language)
    lens.trees = storefront.category_trees(
        tenant, own_segment_pks(tenant, own, lens.site or None), prefs
    )
    return lens


@dataclass(frozen=True)
class MatchRow:
    token: str
    product_id: str | None
    name: dict | None
    #: site -> whether the customer's segments of that site show the product
    matches: dict[str, bool]


def _match(lens: CustomerLens, text: str) -> tuple[list[MatchRow], list[str], str]:
    """For each named product (by id or code), whether `/segments/match` with the customer's
    effective segments of each site says it shows; (rows, sites, a note)."""
    tokens = list(dict.fromkeys(token for token in _TOKENS.split(text) if token))
    note = ""
    if len(tokens) > MATCH_TOKENS:
        note = f"Only the first {MATCH_TOKENS:,} products were checked."
        tokens = tokens[:MATCH_TOKENS]
    products = service.resolve_products(g.tenant, tokens)
    product_ids = list(dict.fromkeys(product_id for product_id, _ in products.values()))
    sites = [lens.site] if lens.site else lens.sites
    matched: dict[str, set[str]] = {}
    for site in sites:
        segment_ids = [s.id for s in lens.segments if s.site_code == site]
        matched[site] = set(storefront.matching_products(g.tenant, product_ids, segment_ids, site))
    rows = []
    for token in tokens:
        product_id, name = products.get(token, (None, None))
        rows.append(
            MatchRow(token, product_id, name, {site: product_id in matched[site] for site in sites})
        )
    return rows, sites, note


@bp.get("/catalog/customer")
@can("read")
def catalog_customer():
    """See as a customer: its effective segments, the category tree a storefront would get
    and, on request, which products it is shown."""
    lens = _lens(request.args)
    return render("catalog/customer.html", "catalog/_customer_view.html", lens=lens, match=None)


@bp.get("/catalog/customer/search")
@can("read")
def catalog_customer_search():
    """Customers by id, email or name, as the picker's input is typed; with `after`, those a
    search that ran out of time finds next (for htmx, only those)."""
    lens = _lens(request.args)
    fragment = "catalog/_customer_results.html"
    if "after" in request.args:
        fragment = "catalog/_customer_items.html"
    shown = int_arg(request.args.get("shown"), 0)
    return render("catalog/customer.html", fragment, lens=lens, match=None, shown=shown)


@bp.post("/catalog/customer/match")
@can("read")
def catalog_customer_match():
    """Which of the listed products the picked customer's segments show, per site."""
    lens = _lens(request.form, with_trees=not wants_fragment())
    text = request.form.get("products", "")
    match = None
    if lens.customer is not None:
        rows, sites, note = _match(lens, text)
        match = {"text": text, "rows": rows, "sites": sites, "note": note}
    return render("catalog/customer.html", "catalog/_match.html", lens=lens, match=match)
