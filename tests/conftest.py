"""Test-suite settings.

Property tests explore new random examples on every local run; under CI (``CI`` set, as
the CI runner does) they run derandomized, so a landing never hangs on a rare example
found for the first time there. Any failure hypothesis finds locally is kept as an
``@example``.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
