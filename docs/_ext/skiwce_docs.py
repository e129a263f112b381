"""Helpers of the skiwce documentation build (a local Sphinx extension).

- :class:`ExampleOrder`: the order of the gallery examples (sphinx-gallery sort key);
- :func:`reset_state`: run before every gallery example (one torch thread, seeded torch);
- at ``builder-inited``: write ``generated/cli_*.txt``, the ``--help`` of each ``skiwce``
  subcommand, for ``literalinclude`` in the command-line page, so it never goes stale;
- at ``autodoc-process-docstring``: drop the docstring of a constant's *type* (autodoc shows
  ``tuple.__doc__`` for a tuple without a ``#:`` comment) and render a dict constant as a table
  of its entries (the ``data_table.rst`` template hides the one-line value);
- at ``autodoc-process-docstring``, for the methods that skiwce's estimators inherit from
  scikit-learn and imbalanced-learn: turn their ``:term:`` and ``:ref:`` roles, which point into
  scikit-learn's own glossary and user guide, into plain text, so that they resolve (to
  nothing) with and without intersphinx;
- at ``env-check-consistency``: warn (an error under ``-W``) for each public name of a
  documented subpackage (its ``__all__``) that ``api.rst`` does not list.
"""

import contextlib
import importlib
import inspect
import io
import os
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Gallery examples in reading order; files not listed come after them, by name.
EXAMPLE_ORDER = (
    "plot_iwce_vs_ce_wce.py",
    "plot_weight_schedule.py",
    "plot_grid_search_temperature.py",
    "plot_cross_validation_metrics.py",
    "plot_compare_smote_adaboost.py",
    "plot_custom_module.py",
    "plot_skorch_net.py",
    "plot_time_series_mnist1d.py",
    "plot_images_digits.py",
)

#: Modules whose ``__all__`` the API reference (api.rst) must list completely.
API_MODULES = (
    "skiwce",
    "skiwce.functional",
    "skiwce.models",
    "skiwce.losses",
    "skiwce.datasets",
    "skiwce.comparison",
    "skiwce.cli",
)
#: Names of ``__all__`` that are not documented on their own.
API_SKIP = {"__version__"}

#: ``skiwce`` command lines whose help is written to ``generated/cli_<name>.txt``.
CLI_HELP = {
    "main": ["--help"],
    "compare": ["compare", "--help"],
    "datasets_list": ["datasets"],
    "demo": ["demo", "--help"],
}


def reexports():
    """Map each public name of a subpackage that ``skiwce`` re-exports to its other name.

    Both directions: ``{"skiwce.comparison.compare": "skiwce.compare", "skiwce.compare":
    "skiwce.comparison.compare", ...}``; used by the autosummary templates.
    """
    top = importlib.import_module("skiwce")
    aliases = {}
    for module_name in API_MODULES[1:]:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name in getattr(top, "__all__", []) and getattr(top, name) is getattr(module, name):
                aliases[f"{module_name}.{name}"] = f"skiwce.{name}"
                aliases[f"skiwce.{name}"] = f"{module_name}.{name}"
    return aliases


class ExampleOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``: :data:`EXAMPLE_ORDER` first.

    A class, as sphinx-gallery instantiates it with the gallery's source folder.
    """

    def __init__(self, src_dir=None):
        self.src_dir = src_dir

    def __repr__(self):
        return "ExampleOrder"

    def __call__(self, filename):
        name = os.path.basename(filename)
        if name in EXAMPLE_ORDER:
            return (0, EXAMPLE_ORDER.index(name), name)
        return (1, 0, name)


def reset_state(gallery_conf, fname):
    """Before each example: one torch thread (fastest for these small networks), a seed."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)


def _write_cli_help(app):
    from skiwce.cli import main

    out_dir = Path(app.srcdir) / "generated"
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "92"  # argparse wraps its help to the terminal width
    try:
        for name, argv in CLI_HELP.items():
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                main(argv)
            text = buffer.getvalue()
            path = out_dir / f"cli_{name}.txt"
            # Rewrite only on change, so that an incremental build stays incremental.
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
    finally:
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns


def _resolve(full_name):
    module_name, _, name = full_name.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return None


def _check_api_complete(app, env):
    """Warn for each public name that api.rst documents under no name.

    A name re-exported elsewhere (``skiwce.losses.IWCELoss`` is ``skiwce.IWCELoss``) counts as
    documented when the same object is listed.
    """
    api = Path(app.srcdir) / "api.rst"
    listed = set()
    current = None
    for line in api.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        match = re.match(r"\.\. currentmodule:: (\S+)", entry)
        if match:
            current = match.group(1)
        elif current and re.fullmatch(r"~?[A-Za-z_]\w*", entry):
            listed.add(f"{current}.{entry.lstrip('~')}")
    documented = {id(obj) for obj in map(_resolve, listed) if obj is not None}
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name in API_SKIP:
                continue
            if f"{module_name}.{name}" in listed or id(getattr(module, name)) in documented:
                continue
            logger.warning(
                "public name %s.%s is missing from the API reference (api.rst)",
                module_name,
                name,
                location="api",
            )


def _entry(value, module_name):
    """A table cell for one value of a dict constant: a class as a link, else the text."""
    if isinstance(value, type):
        module = importlib.import_module(module_name)
        owner = module_name if getattr(module, value.__name__, None) is value else value.__module__
        return f":class:`~{owner}.{value.__name__}`"
    return str(value).replace("\n", " ")


def _drop_type_docstring(app, what, name, obj, options, lines):
    """A constant without a ``#:`` comment gets its type's docstring: drop it."""
    if what != "data":
        return
    type_doc = getattr(type(obj), "__doc__", None)
    if type_doc and "\n".join(lines).strip() == inspect.cleandoc(type_doc).strip():
        lines.clear()


def _dict_as_table(app, what, name, obj, options, lines):
    """Show the entries of a dict constant as a table, in their order."""
    if what != "data" or not isinstance(obj, dict) or not obj:
        return
    module_name = name.rpartition(".")[0]
    lines += [
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 25 75",
        "",
        "   * - key",
        "     - value",
    ]
    for key, value in obj.items():
        lines += [f"   * - ``{key}``", f"     - {_entry(value, module_name)}"]
    lines.append("")


#: Packages whose inherited docstrings may use roles that only resolve with intersphinx.
EXTERNAL_PACKAGES = ("sklearn", "imblearn", "skorch", "torch")
_ROLE = re.compile(r":(?:term|ref):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _plain_external_roles(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] not in EXTERNAL_PACKAGES:
        return

    def plain(match):
        text = match.group(1) if match.group(1) is not None else match.group(2)
        return f"``{text.strip()}``" if match.group(2) is not None else text

    lines[:] = [_ROLE.sub(plain, line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_external_roles, priority=400)
    app.connect("builder-inited", _write_cli_help)
    # numpydoc (priority 500) rewrites the lines: drop the type's docstring before it, add the
    # table after it.
    app.connect("autodoc-process-docstring", _drop_type_docstring, priority=400)
    app.connect("autodoc-process-docstring", _dict_as_table, priority=600)
    app.connect("env-check-consistency", _check_api_complete)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
