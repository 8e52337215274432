"""Interactive explorers (ipywidgets) with a static figure fallback where no widget front end runs.

Each ``*_explorer`` function draws the static figure for its default state first (visible in nbval,
nbconvert HTML and static viewers), then shows the widget. Widget cells are tagged
``nbval-ignore-output`` in the notebooks.
"""

from __future__ import annotations

# <widgets 02_convolution>


# <widgets 03_padding_and_stride>


# <widgets 04_pooling>
