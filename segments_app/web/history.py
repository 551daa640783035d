"""A segment's history tab: imports and changes, and reverting an import."""

from __future__ import annotations
