"""Custom Keras layers the classic papers need and Keras lacks, each written once.

Layers that add parameters implement ``param_formula()`` (and optionally ``macs(in_shape,
out_shape)``) so that :func:`course_utils.trace` prints their formula. NHWC throughout.
"""

from __future__ import annotations

from .profiles import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402,F401

# <layers 06_lenet5>


# <layers 07_alexnet>
