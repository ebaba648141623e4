# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
The configuration of the Sphinx build of the documentation: make docs
"""

# externals
import pathlib
import sys

# where i am
here = pathlib.Path(__file__).resolve().parent
# the extension that reads the package: its traits, its errors, its messages
sys.path.insert(0, str(here / "_ext"))

# the package, for its version; it is installed in the environment that builds the docs
import pyre_nexus


# the project
project = "pyre_nexus"
author = "the pyre_nexus developers"
copyright = "2026, the pyre_nexus developers"
version = release = pyre_nexus.version

# the extensions
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxcontrib.mermaid",
    "nexusdocs",
]

# the sources: markdown through myst, and the spec page in restructured text
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# the build output, and what the benchmarks and notes keep next to the pages
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# myst: anchors for the headings, so links like design.md#6-deadlines resolve; fenced
# mermaid blocks become diagrams
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]
myst_fence_as_directive = ["mermaid"]

# autodoc: the docstrings as written, in source order; pyre's docstrings name things in
# {braces}, which is plain text to restructured text
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"show-inheritance": True}
autodoc_inherit_docstrings = False
# the pages say where things live; a signature reads as its users write it, e.g. Staff(name)
add_module_names = False

# mermaid draws in the browser, so the build runs no program and needs no network
mermaid_output_format = "raw"

# the pages
html_theme = "alabaster"
html_title = f"pyre_nexus {release}"
html_theme_options = {"description": "crews, teams and recruiters for pyre applications", "fixed_sidebar": True}
# the style that keeps tables and code blocks inside the content column
html_static_path = ["_static"]
html_css_files = ["nexus.css"]


# end of file
