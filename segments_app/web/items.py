"""A segment's items tab: the lazily loaded category tree and the products of a category,
each with a one-click assign or unassign."""

from __future__ import annotations

from flask import Response, g, request
from flask_login import current_user

from ..models import Segment
from ..query.i18n import text_in
from ..services import catalog as service
from ..services.catalog import browsing
from ..services.segment_items import restore_item, set_item_assigned, unassign_item
from ..services.segments import get_segment
from . import bp, can
from .catalog import TreeLinks, TreeQuery, children_fragment, products_fragment, tree_page
from .htmx import counts_changed, go, notify, refresh_trigger, render, wants_fragment
from .redirects import local_url
from .segment_pages import load_segment
from .undo import offer, undoes

#: how many open lists below a toggled category are re-rendered with it
OPEN_LIMIT = 100
#: what the other widgets of the page listen to after a category changed
CHANGED = "items-changed"


def _links(segment: Segment) -> TreeLinks:
    editable = current_user.can("edit")
    return TreeLinks(
        "items",
        "web.segment_items",
        "web.segment_items_children",
        "web.segment_items_products",
        g.tenant.default_language,
        args={"segment_id": segment.id},
        segment_pk=segment.pk,
        toggle_category="web.segment_items_category" if editable else None,
        toggle_product="web.segment_items_product" if editable else None,
    )


@bp.get("/segments/<segment_id>/items")
@can("read")
def segment_items(segment_id: str):
    """The item tree browser; an htmx request for it gets the search results."""
    query = TreeQuery.from_args(request.args)
    if wants_fragment():
        segment = get_segment(g.tenant, segment_id)
        return render("items/_search.html", **tree_page(_links(segment), query))
    segment, counts = load_segment(segment_id)
    return render(
        "items/index.html",
        segment=segment,
        counts=counts,
        tab_name="web.segment_items",
        **tree_page(_links(segment), query),
    )


@bp.get("/segments/<segment_id>/items/tree")
@can("read")
def segment_items_children(segment_id: str):
    return children_fragment(_links(get_segment(g.tenant, segment_id)))


@bp.get("/segments/<segment_id>/items/products")
@can("read")
def segment_items_products(segment_id: str):
    return products_fragment(_links(get_segment(g.tenant, segment_id)))


def _message(name: str, assign: bool, changed: bool, covers: str) -> str:
    if not changed:
        return f"“{name}” was already {'assigned' if assign else 'not assigned'}."
    if assign:
        return f"Assigned “{name}” to this segment{covers}."
    return f"“{name}” is no longer assigned to this segment."


def _name(names: dict | None, fallback: str) -> str:
    return text_in(names, g.tenant.default_language) or fallback


def _set(segment: Segment, kind: str, item_id: str, assign: bool) -> dict | None:
    """Assign or unassign; None when nothing changed, else what an unassign removed (see
    services.snapshots; empty for an assign)."""
    if assign:
        return {} if set_item_assigned(g.tenant, segment, kind, item_id, True) else None
    return unassign_item(g.tenant, segment, kind, item_id)


def _undo(segment: Segment, kind: str, item_id: str, name: str, was: dict | None) -> dict | None:
    """The Undo of an unassign that removed something."""
    if not was:
        return None
    back = _links(segment).page_url()
    return offer(segment.id, "item", type=kind, item=item_id, name=name, was=was, back=back)


@undoes("item")
def _restore_item(segment_id: str, what: dict) -> tuple[Response, str]:
    """Undo an unassign: the assignment comes back as it was. A category's node comes back
    in its new state wherever it is in the tree (closed); the lists of products reload."""
    segment = get_segment(g.tenant, segment_id)
    kind, item_id = what["type"], what["item"]
    restore_item(g.tenant, segment, kind, item_id, what["was"])
    response = Response("", 200)
    if kind == "CATEGORY" and wants_fragment():
        node = service.nodes_by_id(g.tenant, [item_id])[item_id]
        tree = browsing.open_below(g.tenant, segment.pk, node, [])
        response = render("items/_node.html", node=node, tree=tree, links=_links(segment), oob=True)
    refresh_trigger(response, CHANGED)
    return response, f"“{what['name']}” is assigned again."


@bp.post("/segments/<segment_id>/items/category")
@can("edit")
def segment_items_category(segment_id: str):
    """Assign or unassign a category; the node comes back with its open subtree, so the
    "covered" marks below it follow, and the other widgets are asked to reload."""
    segment = get_segment(g.tenant, segment_id)
    category_id = request.form.get("id", "")
    assign = request.form.get("assign") == "1"
    was = _set(segment, "CATEGORY", category_id, assign)
    node = service.nodes_by_id(g.tenant, [category_id])[category_id]
    covers = " with its subcategories and their products" if node.children else ""
    name = _name(node.name, node.id)
    message = _message(name, assign, was is not None, covers)
    links = _links(segment)
    if not wants_fragment():
        back = links.page_url(open=category_id, category=request.form.get("category"))
        return go(local_url(request.form.get("back"), back), message)
    open_ids = list(dict.fromkeys(request.form.getlist("open")))[:OPEN_LIMIT]
    tree = browsing.open_below(g.tenant, segment.pk, node, open_ids)
    response = render("items/_node.html", node=node, tree=tree, links=links, focus=True)
    refresh_trigger(response, CHANGED)
    return counts_changed(
        notify(response, message, undo=_undo(segment, "CATEGORY", category_id, name, was))
    )


@bp.post("/segments/<segment_id>/items/product")
@can("edit")
def segment_items_product(segment_id: str):
    """Assign or unassign a product; its row comes back in its new state."""
    segment = get_segment(g.tenant, segment_id)
    product_id = request.form.get("id", "")
    assign = request.form.get("assign") == "1"
    was = _set(segment, "PRODUCT", product_id, assign)
    row = service.products_by_id(g.tenant, [product_id])[product_id]
    name = _name(row.name, row.id)
    message = _message(name, assign, was is not None, "")
    links = _links(segment)
    back = local_url(request.form.get("back"), links.page_url())
    if not wants_fragment():
        return go(back, message)
    marks = service.product_marks(g.tenant, segment.pk, [row.pk])
    response = render(
        "items/_product_row.html", row=row, marks=marks, links=links, back=back, focus=True
    )
    return counts_changed(
        notify(response, message, undo=_undo(segment, "PRODUCT", product_id, name, was))
    )
