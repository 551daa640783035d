"""Reading dashboard answers in tests: a page's text and the htmx events it triggers, and the page
numbers a URL may carry."""

from __future__ import annotations

import json
import re

#: page numbers a URL may carry: one past any last page, and ones that are no page number
HUGE = "99999999999999999999"
GARBAGE = ("abc", "²", "-1", "0", "1e3", "1.5")


def page_text(response) -> str:
    """The body with the whitespace between tags dropped and other runs of it made one space."""
    html = re.sub(r">\s+<", "><", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html).strip()


def hx_events(response) -> dict:
    """The events the answer triggers in htmx (its HX-Trigger header), by name."""
    return json.loads(response.headers.get("HX-Trigger", "{}"))
