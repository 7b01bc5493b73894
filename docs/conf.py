"""Sphinx configuration: the API reference (autosummary + numpydoc) and the guides (MyST).

Build: ``python -P -m sphinx -W --keep-going -b html docs docs/_build/html`` against an
installed pyrbm (-P: the checkout's pyrbm/ has no compiled module); .ci/run does this.
"""

import pyrbm

project = "pyrbm"
release = version = pyrbm.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
myst_heading_anchors = 3
# no network at build time: cross-references to numpy/scipy stay plain text
intersphinx_mapping: dict[str, tuple[str, None]] = {}
html_theme = "alabaster"
