"""How many examples the Hypothesis property tests draw.

The everyday run loads the `dev` profile: a fifth of each test's examples, to keep the fast
run (`./scripts/test -m "not e2e" -n auto`) short. .ci/run sets HYPOTHESIS_PROFILE=ci: every
test then draws the count it names. tests/conftest.py imports this module, so the profile is
loaded before any test module is.
"""

from __future__ import annotations

import os

from hypothesis import settings

#: Hypothesis' own default count, which the tests' counts are relative to
_FULL = 100

settings.register_profile("ci", max_examples=_FULL)
settings.register_profile("dev", max_examples=_FULL // 5)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "dev")


def examples(ci_count: int) -> int:
    """`ci_count` under the ci profile; elsewhere the loaded profile's share of it (at least 1)."""
    return max(1, ci_count * settings.default.max_examples // _FULL)
