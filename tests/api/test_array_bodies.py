"""The 400s of bodies that must be JSON arrays of bounded length: bulk requests and directory
writes each word both refusals in their own terms."""

from __future__ import annotations

import pytest


def _message(response) -> str:
    assert response.status_code == 400, response.get_json()
    return response.get_json()["message"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_bulk_body_is_an_array_of_at_most_200_elements(api, method):
    send = getattr(api, method)
    assert _message(send("/segments/bulk", json={"id": "x"})) == (
        "The body of a bulk request must be a JSON array."
    )
    assert _message(send("/segments/bulk", json=["x"] * 201)) == (
        "A bulk request takes at most 200 elements; this one has 201."
    )


def test_a_directory_body_is_an_array_of_at_most_1000_records(api):
    assert _message(api.put("/directory/customers", json={"id": "c1"})) == (
        "The body must be a JSON array of records."
    )
    records = [{"id": f"c{n}"} for n in range(1001)]
    assert _message(api.put("/directory/customers", json=records)) == (
        "A request takes at most 1000 records; this one has 1001."
    )
