"""course_utils: the small library behind the CNN Classics notebooks.

Modules, one concern each: ``profiles`` (run profiles and set-up), ``data`` (offline-first
datasets and tf.data pipelines), ``arithmetic`` (layer formulas), ``tracing`` (per-layer trace),
``layers`` and ``scratch`` (operations from scratch and custom Keras layers), ``models``
(architectures, one module per family, and their registry), ``training``, ``plotting``,
``explain`` (feature maps and Grad-CAM), ``widgets``, ``checks`` and ``exercises`` (one module per
notebook), ``progress`` (exercises a learner solved), ``results``, ``warm_start`` (the trained-weights cache).

Example:
    >>> import course_utils
    >>> course_utils.conv_output_size(32, k=5)
    28
"""

from .profiles import import_tensorflow_quietly

import_tensorflow_quietly()  # before anything else touches TensorFlow: keeps its C++ log lines out

from . import arithmetic, checks, data, profiles, progress, results, tracing, warm_start  # noqa: E402
from .arithmetic import conv_output_size, pool_output_size  # noqa: E402
from .checks import check, check_close, check_equal, check_function, rel_error, solution  # noqa: E402
from .course import show_source  # noqa: E402
from .profiles import clear_session, params, profile_name, setup  # noqa: E402
from .tracing import trace  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "arithmetic", "checks", "data", "profiles", "progress", "results", "tracing", "warm_start",
    "check", "check_close", "check_equal", "check_function", "clear_session", "conv_output_size", "params", "pool_output_size",
    "profile_name", "rel_error", "setup", "show_source", "solution", "trace",
]
