"""The requests the benchmark times: every dashboard page and fragment, and the htmx writes.

A probe is one request as a browser sends it (a full page, or an htmx fragment with
`HX-Request`). A search that stops early to answer quickly (services.substring) ends its answer
with a "Searching…" row or a "Search further" link; the benchmark follows those as the page
would, and each request of the chain is timed. A write probe may name a follow-up that undoes
it (add, then remove the same member), timed as a probe of its own, so that every run of the
write does the same work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, url_for

from .data import BIG, DataSet, customer_id

#: the search terms: one that many rows match, one that matches a single row near the end of
#: the index order, one that matches nothing (the whole candidate set is read before "none")
COMMON_NAME = "schmidt"
NO_MATCH = "zzqx"


@dataclass
class Probe:
    label: str
    url: str
    method: str = "GET"
    htmx: bool = False
    form: dict | None = None
    #: a probe that undoes this one, run (and timed) after each run of it
    then: Probe | None = None
    #: what the response must contain (a sign the page shows what it should)
    expect: str | None = None
    samples: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    db_seconds: list[float] = field(default_factory=list)
    #: requests a search took until it was done (it goes on in further requests where it has
    #: to read a list row by row: see services.substring), and their time together
    steps: list[int] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)


def probes(app: Flask, data: DataSet) -> list[Probe]:
    """Every page and fragment of the dashboard, against the big segment where it matters."""
    rare_member = customer_id(data.sizes.members - 7)
    rare_digits = rare_member[1:]
    with app.test_request_context():
        seg = {"segment_id": BIG}
        found: list[Probe] = [
            Probe("overview", url_for("web.overview"), expect="Everyone"),
            Probe("segments list", url_for("web.segments"), expect="segment-row-"),
            Probe(
                "segments list: search (htmx)",
                url_for("web.segments", q="berlin"),
                htmx=True,
                expect="segment-row-",
            ),
            Probe(
                "segments list: filter + sort + page 2 (htmx)",
                url_for("web.segments", status="ACTIVE", site="main", sort="modified:desc", page=2),
                htmx=True,
                expect="segment-row-",
            ),
            Probe(
                "segment members tab (the big one)",
                url_for("web.segment_detail", **seg),
                expect=f"{data.sizes.members:,} members",
            ),
            Probe(
                "members: page 2 (htmx)",
                url_for("web.segment_detail", page=2, **seg),
                htmx=True,
                expect="member-row-",
            ),
            Probe(
                "members: page 200 (htmx)",
                url_for("web.segment_detail", page=200, **seg),
                htmx=True,
                expect="member-row-",
            ),
            Probe(
                f"members: search common “{COMMON_NAME}” (htmx)",
                url_for("web.segment_detail", q=COMMON_NAME, **seg),
                htmx=True,
                expect="member-row-",
            ),
            Probe(
                f"members: search one id “{rare_digits}” (htmx)",
                url_for("web.segment_detail", q=rare_digits, **seg),
                htmx=True,
                expect=rare_member,
            ),
            Probe(
                f"members: search no match “{NO_MATCH}” (htmx)",
                url_for("web.segment_detail", q=NO_MATCH, **seg),
                htmx=True,
            ),
            Probe(
                "members tab of a small segment",
                url_for("web.segment_detail", segment_id=data.small_segment),
            ),
            Probe(
                f"member candidates: “{COMMON_NAME}” (htmx)",
                url_for("web.segment_members_candidates", find=COMMON_NAME, **seg),
                htmx=True,
            ),
            Probe(
                f"member candidates: one id “{data.outsider[1:]}” (htmx)",
                url_for("web.segment_members_candidates", find=data.outsider[1:], **seg),
                htmx=True,
                expect=data.outsider,
            ),
            Probe(
                f"member candidates: no match “{NO_MATCH}” (htmx)",
                url_for("web.segment_members_candidates", find=NO_MATCH, **seg),
                htmx=True,
            ),
            Probe("items tab", url_for("web.segment_items", **seg), expect="tree"),
            Probe(
                "items: children of a category (htmx)",
                url_for("web.segment_items_children", parent=data.parent_category, **seg),
                htmx=True,
            ),
            Probe(
                "items: products of a category (htmx)",
                url_for("web.segment_items_products", category=data.leaf_category, **seg),
                htmx=True,
            ),
            Probe(
                "items: search “Kategorie 5.12” (htmx)",
                url_for("web.segment_items", q="Kategorie 5.12", **seg),
                htmx=True,
            ),
            Probe(
                f"items: search no match “{NO_MATCH}” (htmx)",
                url_for("web.segment_items", q=NO_MATCH, **seg),
                htmx=True,
            ),
            Probe("catalog", url_for("web.catalog"), expect="tree"),
            Probe(
                "catalog: children (htmx)",
                url_for("web.catalog_children", parent=data.parent_category),
                htmx=True,
            ),
            Probe(
                "catalog: products (htmx)",
                url_for("web.catalog_products", category=data.leaf_category),
                htmx=True,
            ),
            Probe(
                "catalog: search “Product 19999” (htmx)",
                url_for("web.catalog", q="Product 19999"),
                htmx=True,
            ),
            Probe(
                f"catalog: search no match “{NO_MATCH}” (htmx)",
                url_for("web.catalog", q=NO_MATCH),
                htmx=True,
            ),
            Probe(
                "catalog: as a customer",
                url_for("web.catalog_customer", customer=data.b2b_customer),
                expect=data.b2b_customer,
            ),
            Probe(
                f"catalog: customer search “{COMMON_NAME}” (htmx)",
                url_for("web.catalog_customer_search", find=COMMON_NAME),
                htmx=True,
            ),
            Probe(
                f"catalog: customer search one id “{rare_digits}” (htmx)",
                url_for("web.catalog_customer_search", find=rare_digits),
                htmx=True,
                expect=rare_member,
            ),
            Probe(
                f"catalog: customer search no match “{NO_MATCH}” (htmx)",
                url_for("web.catalog_customer_search", find=NO_MATCH),
                htmx=True,
            ),
            Probe(
                "catalog: match products (htmx)",
                url_for("web.catalog_customer_match"),
                method="POST",
                htmx=True,
                form={
                    "customer": data.b2b_customer,
                    "products": " ".join(f"P{n:07d}" for n in range(1, 201)) + " " + data.product,
                },
            ),
            Probe("settings: users", url_for("web.settings")),
            Probe("settings: API clients", url_for("web.settings_clients")),
            Probe("settings: languages", url_for("web.settings_languages")),
            Probe("new segment form", url_for("web.segment_new")),
            Probe("segment edit form", url_for("web.segment_edit", **seg)),
            Probe(
                "delete confirmation (htmx)",
                url_for("web.segment_delete_confirm", **seg),
                htmx=True,
            ),
        ]
        for endpoint, label in (
            ("web.segment_upload", "upload tab"),
            ("web.segment_history", "history tab"),
        ):
            if endpoint in app.view_functions:
                found.append(Probe(label, url_for(endpoint, **seg)))
        found += _writes(data)
    return found


def _writes(data: DataSet) -> list[Probe]:
    seg = {"segment_id": BIG}
    back = url_for("web.segments")

    def status(value: str) -> Probe:
        return Probe(
            f"write: set status {value} (htmx)",
            url_for("web.segment_status", **seg),
            "POST",
            True,
            {"status": value, "back": back},
        )

    def member(endpoint: str, label: str) -> Probe:
        form = {"customer_id": data.outsider, "find": data.outsider}
        return Probe(label, url_for(endpoint, **seg), "POST", True, form)

    def item(kind: str, item_id: str, assign: bool) -> Probe:
        verb = "assign" if assign else "unassign"
        return Probe(
            f"write: {verb} a {kind} (htmx)",
            url_for(f"web.segment_items_{kind}", **seg),
            "POST",
            True,
            {"id": item_id, "assign": "1" if assign else "0"},
        )

    deactivate = status("INACTIVE")
    deactivate.then = status("ACTIVE")
    add = member("web.segment_members_add", "write: add a member (htmx)")
    add.then = member("web.segment_members_remove", "write: remove a member (htmx)")
    category = item("category", data.parent_category, True)
    category.then = item("category", data.parent_category, False)
    product = item("product", data.product, False)
    product.then = item("product", data.product, True)
    return [deactivate, add, category, product]
