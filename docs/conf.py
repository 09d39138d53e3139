"""Sphinx configuration of the sklprune documentation.

Build with ``make docs`` (HTML in ``docs/_build/html``, warnings are errors).
Every benchmark number the pages quote is a substitution read from
``benchmarks/RESULTS.md`` at build time (``benchmark_numbers.py``). Links into the
documentation of scikit-learn, skorch, PyTorch, NumPy and pandas
(intersphinx) need the network: set ``SKLPRUNE_DOCS_INTERSPHINX=1`` to enable them.
"""

import os
import sys
from pathlib import Path

import torch

import sklprune

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # _gallery_order, figures and benchmark_numbers

import benchmark_numbers

# The gallery and the figures train small networks: one thread is fastest.
torch.set_num_threads(1)

project = "sklprune"
author = "The sklprune developers"
copyright = "The sklprune developers"
release = sklprune.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served with the pages, not from a CDN
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
# |name| of every benchmark number the pages quote, from benchmarks/RESULTS.md.
rst_prolog = benchmark_numbers.rst_prolog()
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False


def skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out the set_*_request methods scikit-learn generates on estimators."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_metadata_request_methods)


# -- Links to other projects (need the network) ------------------------------
intersphinx_mapping = {}
if os.environ.get("SKLPRUNE_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

# -- Example gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "_gallery_order.GalleryOrder",
    "doc_module": ("sklprune",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

# -- Figures of the user guide (matplotlib's plot directive) -----------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_working_directory = str(HERE)
plot_rcparams = {"figure.autolayout": True}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklprune {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_sidebars = {"index": [], "install": []}
