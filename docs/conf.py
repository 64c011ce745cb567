"""Sphinx configuration: the README's tour as the first page, the architecture, and the
API reference from the public names' numpydoc docstrings (``make docs``; warnings are
errors, ``sphinx-build -W``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's probnn, installed or not

import probnn  # noqa: E402

project = "probnn"
author = "the probnn authors"
release = version = probnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "img/*.md"]
root_doc = "index"
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The README and architecture pages link to repository files outside the documentation
# (bench results, the images folder): they are links to the repository, not to pages.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.xref_missing"]

html_theme = "alabaster"
html_title = f"probnn {release}"
