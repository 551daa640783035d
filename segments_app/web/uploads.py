"""A segment's upload tab: the member import flow as pages."""

from __future__ import annotations
