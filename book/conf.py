"""Sphinx configuration of the course site (``make site``; scripts/make_site.py runs Sphinx with ``-c book``).

The sources are not here: scripts/make_site.py writes them into ``build/site-src/`` (a processed copy of the
notebooks, the course map as ``index.md``, ``references.md``) and runs ``sphinx-build -c book`` on that folder.
Nothing is executed (``nb_execution_mode = "off"``): the committed outputs are the content. Every script, style
sheet and font is served from the site itself: MathJax is the local copy ``make site`` installs with npm (see the
Makefile) and scripts/make_site.py copies into ``_static/mathjax``; no widget JavaScript is loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sync_course import repository  # noqa: E402  (one source for the repository's address)

REPOSITORY_URL, _SLUG = repository()

project = "CNN Classics"
author = "the CNN Classics authors"
copyright = "the CNN Classics authors"  # noqa: A001  (Sphinx's name for it)
language = "en"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # notebooks step from # title to ### in places: fine for a reader

# myst-nb: show the committed outputs, never run a notebook
nb_execution_mode = "off"
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # no require.js or widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4  # "NAME.ipynb#slug" links resolve to headings (scripts/make_site.py writes the slugs)

# MathJax 3 from the site itself (npm package mathjax, copied into _static/mathjax by scripts/make_site.py)
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {"tex": {"processEscapes": True}}

html_theme = "sphinx_book_theme"
html_title = "CNN Classics"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False  # the notebooks are in the repository; the launch buttons open them there
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": REPOSITORY_URL,
    "repository_branch": "main",
    "path_to_docs": "",  # build/site-src/notebooks/NAME.ipynb <-> notebooks/NAME.ipynb in the repository
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
