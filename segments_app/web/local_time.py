"""Times typed in the browser's time zone, stored in UTC.

A datetime-local input has no zone. The page renders UTC; static/js/local-time.js shows it in
the browser's zone and fills the form's hidden `tz` (the zone's IANA name) and `tz-offset`
(minutes east of UTC, for a zone the server does not know). The server converts what was typed
back to UTC here, so the same path serves a script that ran and one that did not (then `tz`
stays "UTC" and the inputs hold UTC, as their hint says)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.datastructures import MultiDict

from .args import int_arg

ZONE, OFFSET = "tz", "tz-offset"
#: the widest offsets in use (UTC-12 to UTC+14), in minutes
_MAX_OFFSET = 14 * 60


def form_zone(data: Mapping[str, str]) -> tzinfo:
    """The zone the form's times were typed in: by name, else by offset, else UTC."""
    name = data.get(ZONE, "").strip()
    if name and name != "UTC":
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    text = data.get(OFFSET, "").strip()
    sign = -1 if text.startswith("-") else 1
    offset = sign * int_arg(text.lstrip("+-"), 0, high=_MAX_OFFSET)
    return timezone(timedelta(minutes=offset)) if offset else UTC


def local_input(moment: datetime | None) -> str:
    """A UTC time as a datetime-local input shows it (seconds only when it has some)."""
    if moment is None:
        return ""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def to_utc_input(text: str, zone: tzinfo) -> str:
    """A datetime-local text typed in `zone` as the same input in UTC; text that is not a time
    stays as it is (the form reports it)."""
    if not text.strip() or zone is UTC:
        return text
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return local_input(moment)


def with_utc_times(data: MultiDict, names: tuple[str, ...]) -> MultiDict:
    """`data` with the fields `names` converted from the form's zone to UTC."""
    zone = form_zone(data)
    if zone is UTC:
        return data
    out = MultiDict(data)
    for name in names:
        if name in out:
            out.setlist(name, [to_utc_input(text, zone) for text in out.getlist(name)])
    out[ZONE] = "UTC"
    return out


def utc_iso(moment: datetime) -> str:
    """A stored time for <time datetime>, which static/js/local-time.js shows in local time."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(moment: datetime, with_time: bool = True) -> str:
    """The same time as text for a page without script: the UTC time, saying so."""
    return _utc(moment).strftime("%d %b %Y %H:%M UTC" if with_time else "%d %b %Y")


def _utc(moment: datetime) -> datetime:
    # a time without zone is UTC here, as the database stores it
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
