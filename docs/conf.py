"""Sphinx configuration of the skiwce documentation.

Build (from the repository root; warnings are errors and every gallery example runs)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The default build is offline: it needs no network at all. Links to the documentation of
scikit-learn, imbalanced-learn, skorch, PyTorch, NumPy and Python (intersphinx) need their
``objects.inv`` inventories from the internet, so they are switched on only when the environment
variable ``SKIWCE_DOCS_INTERSPHINX=1`` is set::

    SKIWCE_DOCS_INTERSPHINX=1 python -m sphinx -W --keep-going -b html docs docs/_build/html

Other environment variables:

- ``SKIWCE_DOCS_PLOT_GALLERY=0`` builds the gallery pages without running the examples
  (quick checks of the prose; the default, 1, runs them all).

Generated files (``docs/generated/``, ``docs/auto_examples/``, ``docs/sg_execution_times.rst``,
``docs/_build/``) are git-ignored.
"""

import os
import sys
from pathlib import Path

import skiwce

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from skiwce_docs import reexports as skiwce_docs_reexports  # noqa: E402

# Examples and the plot directive draw with the non-interactive Agg backend.
os.environ.setdefault("MPLBACKEND", "Agg")

# -- Project -------------------------------------------------------------------------------------

project = "skiwce"
author = "The skiwce developers"
copyright = "The skiwce developers"  # noqa: A001 - Sphinx's name
release = skiwce.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions ----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "skiwce_docs",  # docs/_ext/skiwce_docs.py: CLI help pages, API completeness check
]

INTERSPHINX = os.environ.get("SKIWCE_DOCS_INTERSPHINX", "0") == "1"
if INTERSPHINX:
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "imblearn": ("https://imbalanced-learn.org/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
    }

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
]
# Markdown pages include the repository's CHANGELOG.md; a change there rebuilds the page.
# Docstring examples are doctests that pytest runs (``--doctest-modules``); the docs only show
# them, with the ``# doctest:`` flags trimmed.
trim_doctest_flags = True
default_role = "literal"
pygments_style = "sphinx"
language = "en"

# -- autodoc, autosummary, numpydoc --------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
# A method without a docstring of its own (a network's ``forward``) is left out, rather than
# showing the generic docstring of the method it overrides.
autodoc_inherit_docstrings = False
# Names re-exported at the top level (``skiwce.compare`` is ``skiwce.comparison.compare``): each
# of the two pages names the other and shows the gallery examples that use either name.
autosummary_context = {"reexports": skiwce_docs_reexports()}
# The class templates list the methods; numpydoc's own member tables would duplicate them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- MyST (Markdown pages) -----------------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Matplotlib plot directive (figures in the user guide) ---------------------------------------

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": True}

# -- sphinx-gallery ------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": os.environ.get("SKIWCE_DOCS_PLOT_GALLERY", "True"),
    "within_subsection_order": "skiwce_docs.ExampleOrder",
    # One torch thread and a fresh matplotlib state per example (skiwce_docs.reset_state).
    "reset_modules": ("matplotlib", "skiwce_docs.reset_state"),
    "doc_module": ("skiwce",),
    "reference_url": {"skiwce": None},
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skiwce {release}"
html_static_path = ["_static"]
html_css_files = ["skiwce.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"install": [], "quick_start": [], "changelog": [], "results": []}
html_context = {"default_mode": "light"}
