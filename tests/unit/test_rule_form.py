"""The rule editor's form model: a rule tree to rows and back, the rows' values in the rule's
types, editing steps, and the service's messages placed beside the rows they concern."""

from __future__ import annotations

from types import SimpleNamespace

from werkzeug.datastructures import MultiDict

from segments_app.errors import ValidationFailed
from segments_app.web.rule_fields import Catalog
from segments_app.web.rule_form import RuleForm, plain

KEYS = [
    SimpleNamespace(owner="customer", key="tier", type="string", examples=["gold", "silver"]),
    SimpleNamespace(owner="customer", key="orders", type="number", examples=[3, 12.0]),
    SimpleNamespace(owner="customer", key="lastOrderAt", type="datetime", examples=[]),
    SimpleNamespace(owner="customer", key="vip", type="boolean", examples=[True]),
    SimpleNamespace(owner="customer", key="tags", type="tags", examples=["b2b"]),
    SimpleNamespace(owner="legalEntity", key="country", type="string", examples=["DE"]),
]
CATALOG = Catalog.build(KEYS, [("vip", "VIP (vip)")])

RULE = {
    "all": [
        {"field": "attributes.tier", "op": "in", "value": ["gold", "silver"]},
        {"field": "attributes.orders", "op": "between", "value": [3, 12.5]},
        {"field": "attributes.lastOrderAt", "op": "after", "value": "2026-11-02T10:00:00.000Z"},
        {"field": "attributes.vip", "op": "equals", "value": False},
        {"not": {"any": [{"field": "legalEntity.attributes.country", "op": "exists"}]}},
        {"not": {"inSegment": "vip"}},
        {
            "any": [
                {"inSegment": "vip"},
                {"field": "attributes.lastOrderAt", "op": "withinLastDays", "value": 30},
            ]
        },
        {"not": {"all": [{"field": "attributes.tags", "op": "contains", "value": "b2b"}]}},
    ]
}


def form_data(form: RuleForm) -> MultiDict:
    """What the browser sends for the form as rendered (the inputs of every node)."""
    data = MultiDict()
    parents = {id(child): node.index for node in form.nodes for child in node.children}
    for node in form.nodes:
        data[f"n-{node.index}-kind"] = node.kind
        if id(node) in parents:
            data[f"n-{node.index}-parent"] = str(parents[id(node)])
        if node.is_group:
            data[f"n-{node.index}-mode"] = node.mode
        else:
            for part in ("field", "op", "value", "value2"):
                data[f"n-{node.index}-{part}"] = getattr(node, part)
    return data


def test_a_rule_goes_to_rows_and_comes_back_the_same():
    form = RuleForm.from_rule(RULE, CATALOG)
    rows = {node.path: node for node in form.nodes}
    assert rows["rule.all[0]"].value == "gold, silver"
    assert (rows["rule.all[1]"].value, rows["rule.all[1]"].value2) == ("3", "12.5")
    assert rows["rule.all[2]"].value == "2026-11-02T10:00"  # as datetime-local shows it
    assert rows["rule.all[5]"].op == "notIn" and rows["rule.all[5]"].field == "inSegment"
    assert rows["rule.all[4]"].mode == "none"
    again = RuleForm.from_request(form_data(form), CATALOG)
    assert again.rule() == {
        **RULE,
        "all": [
            *RULE["all"][:2],
            {"field": "attributes.lastOrderAt", "op": "after", "value": "2026-11-02T10:00:00Z"},
            *RULE["all"][3:],
        ],
    }
    assert not again.failed


def test_a_rule_that_is_no_group_is_put_in_one():
    form = RuleForm.from_rule({"field": "email", "op": "exists"}, CATALOG)
    assert form.rule() == {"all": [{"field": "email", "op": "exists"}]}


def test_editing_steps_add_and_remove_rows_and_groups():
    form = RuleForm.blank(CATALOG)
    assert form.apply("add-group:0")
    assert [node.path for node in form.nodes] == [
        "rule",
        "rule.all[0]",
        "rule.all[1]",
        "rule.all[1].all[0]",
    ]
    assert form.focus == (3, "field")
    assert form.apply("remove:1")
    assert [node.path for node in form.nodes] == ["rule", "rule.all[0]", "rule.all[0].all[0]"]
    assert form.apply("remove:0")  # the outer group stays
    assert len(form.nodes) == 3
    assert not form.apply("save") and not form.apply("preview")


def test_a_new_field_gets_its_first_operator():
    form = RuleForm.from_rule(
        {"field": "attributes.tier", "op": "startsWith", "value": "g"}, CATALOG
    )
    form.nodes[1].field = "attributes.orders"
    form.apply("refresh:1:field")
    assert form.nodes[1].op == "equals" and form.focus == (1, "field")
    form.apply("refresh:1:op")
    assert form.focus == (1, "op")


def test_values_that_are_none_of_the_type_stand_beside_their_row():
    data = MultiDict(
        {
            "n-0-kind": "group",
            "n-1-kind": "cond",
            "n-1-parent": "0",
            "n-1-field": "attributes.orders",
            "n-1-op": "in",
            "n-1-value": "1, two",
            "n-2-kind": "cond",
            "n-2-parent": "0",
            "n-2-field": "",
            "n-2-op": "",
            "n-3-kind": "cond",
            "n-3-parent": "0",
            "n-3-field": "attributes.lastOrderAt",
            "n-3-op": "withinLastDays",
            "n-3-value": "soon",
        }
    )
    form = RuleForm.from_request(data, CATALOG)
    assert form.rule(partial=True) is None
    assert form.unfinished == 1
    assert form.nodes[1].errors == ["“two” is not a number."]
    assert form.nodes[3].errors == ["Enter a whole number of days, such as 30."]
    assert not form.nodes[2].errors  # unfinished: left out of a preview
    form = RuleForm.from_request(data, CATALOG)
    form.rule()
    assert form.nodes[2].errors == ["Choose a field."] and form.nodes[2].bad == "field"


def test_the_services_messages_go_beside_the_rows_they_name():
    form = RuleForm.from_rule(RULE, CATALOG)
    error = ValidationFailed(
        [
            {
                "field": "rule.all[1].value[0]",
                "type": "type",
                "message": 'attributes.orders holds numbers; "x" is not one',
            },
            {
                "field": "rule.all[5].not.inSegment",
                "type": "unknown",
                "message": "there is no segment 'vip'",
            },
            {
                "field": "rule.all[6].any[1].op",
                "type": "unknown",
                "message": "'withinLastDays' cannot be used on the number field "
                "'attributes.orders'; the operators of number fields: equals, gt",
            },
            {"field": "", "type": "invalid", "message": "the rule is 40000 bytes as JSON"},
        ]
    )
    form.show_errors(error)
    rows = {node.path: node for node in form.nodes}
    assert rows["rule.all[1]"].errors == ['Orders holds numbers; "x" is not one.']
    assert rows["rule.all[1]"].bad == "value"
    assert rows["rule.all[5]"].errors == ["There is no segment 'vip'."]
    assert rows["rule.all[6].any[1]"].errors == [
        "This condition cannot be used on the number field 'orders'."
    ]
    assert rows["rule.all[6].any[1]"].bad == "op"
    assert form.form_errors == ["The rule is 40000 bytes as JSON."]


def test_plain_words():
    assert plain("rule.all[0].value: the days are between 1 and 36500") == (
        "The number of days is between 1 and 36500."
    )
    assert plain("a rule has one of all, any, not, not several") == (
        "A rule has one of all, any, not, not several."
    )
    assert plain("legalEntity.attributes.country holds text") == (
        "The legal entity's country holds text."
    )
