"""Hypothesis profiles for the fuzz suite (issue 15).

ci (default): fixed seed (``derandomize=True``), few examples per property; the whole suite runs in
well under 2 minutes on a 2-core machine. long: random seeds and many examples, for local runs:

    RETOUCH_FUZZ_PROFILE=long pytest -q tests/fuzz --hypothesis-show-statistics
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    suppress_health_check=_QUIET,
    database=None,
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, suppress_health_check=_QUIET, print_blob=True
)
settings.load_profile(os.environ.get("RETOUCH_FUZZ_PROFILE", "ci"))
