"""Every module stays small enough to read in one sitting (the developers' guide's limits).

A module past its limit is split along a seam that shows the architecture, not trimmed of
comments: this test only says when that time has come.
"""

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "probnn"
MODULE_LINES = 800  # any module of the library
CLI_MODULE_LINES = 450  # a command-line module: options and messages, the work done below it


def _limit(path: Path) -> int:
    return CLI_MODULE_LINES if path.parent.name == "cli" else MODULE_LINES


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_its_modules():
    # guards the parametrisation below from passing on an empty list
    assert len(MODULES) > 50 and any(p.parent.name == "cli" for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_within_its_line_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= _limit(path), f"{path.relative_to(PACKAGE)}: {lines} lines > {_limit(path)}"
