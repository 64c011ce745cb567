"""Print a pip constraints file pinning every runtime dependency to its declared floor.

``make test-min`` installs probnn with these constraints into a separate virtualenv and runs
the suite there, so the ``>=`` floors of ``pyproject.toml`` are tested, not only declared (as
scikit-learn's own CI tests its minimum versions). Read from ``pyproject.toml`` each time: no
hand-kept copy to drift. The dependencies are ``[project] dependencies`` and the extras named on
the command line (``parquet``: pyarrow for the Parquet path); each must declare a ``>=`` floor.

Usage: ``python .ci/min_constraints.py [EXTRA ...] > constraints.txt`` (Python >= 3.11: tomllib).
"""

from __future__ import annotations

import pathlib
import re
import sys
import tomllib

# "name[extra]>=1.2, <3 ; marker" -> name, the version after ">="
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)")
_FLOOR = re.compile(r">=\s*([0-9][0-9A-Za-z.+!-]*)")


def floors(pyproject: pathlib.Path, extras: list[str]) -> dict[str, str]:
    """``{name: floor}`` of the runtime dependencies and ``extras``, in pyproject's order."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        sys.exit(f"min_constraints: no extra {', '.join(unknown)} in {pyproject}")
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += optional[extra]
    out: dict[str, str] = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        floor = _FLOOR.search(match.group(2)) if match else None
        if floor is None:
            sys.exit(f"min_constraints: expected a '>=' floor in {requirement!r} ({pyproject})")
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        out[name] = floor.group(1)
    return out


def main(argv: list[str]) -> int:
    pyproject = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
    for name, version in floors(pyproject, argv).items():
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
