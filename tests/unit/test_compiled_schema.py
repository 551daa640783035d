"""The compiled (fastjsonschema) check of a schema: a quick yes, never laxer than jsonschema."""

import pytest

from segments_app.errors import ValidationFailed
from segments_app.services.validation import conforms, validate

MATCH = {"site": "main", "items": [{"id": "shoe"}], "segmentIds": ["vip"]}


def test_a_fitting_document_conforms():
    assert conforms("Match", MATCH)
    validate("Match", MATCH)


@pytest.mark.parametrize(
    "document",
    [
        {**MATCH, "site": ""},
        {**MATCH, "items": [{"name": "no id"}]},
        {**MATCH, "segmentIds": "vip"},
        {"items": [], "segmentIds": []},
    ],
)
def test_a_document_the_schema_refuses_does_not_conform(document):
    assert not conforms("Match", document)
    with pytest.raises(ValidationFailed):
        validate("Match", document)


def test_a_schema_that_bounds_mixins_is_not_compiled():
    # fastjsonschema does not know the x-mixins bound, so it would pass an oversized value
    with pytest.raises(ValueError, match="mixins"):
        conforms("SegmentCreation", {})
