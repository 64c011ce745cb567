"""The API reference lists every public name (issue 23).

``make docs`` builds it with Sphinx (warnings as errors, in CI); this test only keeps
``docs/api.rst`` in step with ``probnn.__all__``, so a new public name cannot be left out of
the reference without a failing test here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import probnn

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def test_every_public_name_is_in_the_api_reference():
    if not API.exists():
        pytest.skip("docs/api.rst is not beside the tests (installed package, not a checkout)")
    listed = set(re.findall(r"^   (\S+)$", API.read_text(encoding="utf-8"), flags=re.M))
    public = set(probnn.__all__) - {"__version__"}
    assert public - listed == set(), "add these to docs/api.rst"
    unknown = {n for n in listed - public if "." not in n and not n.startswith(":")}
    assert unknown == set(), "docs/api.rst names what probnn does not export"
