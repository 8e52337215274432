"""course_utils: the small library behind the CNN Classics notebooks.

A notebook starts with ``run = course_utils.setup(seed=N)`` (the session) and reads its sizes with
``course_utils.params(name)``. The package, one concern per module:

- ``settings``: every ``COURSE_*`` variable, read from the environment in one place and checked;
- ``session``: ``setup()``, the active session (profile, device, precision, retrain, folders);
- ``profiles``: the sizes of every notebook in each run profile;
- ``quiet``: TensorFlow imported without its start-up noise;
- ``folders``: paths shown without the machine in them;
- ``course``: the course map (notebooks in order) and show_source; ``bibliography``: the source articles and
  papers, each with the handle the course cites it by;
- ``data``: offline-first MNIST, Fashion-MNIST, CIFAR-10 and tf.data pipelines; ``captchas``: CAPTCHA datasets;
- ``sources``: where loaded data came from (real file, real subset, synthetic stand-in);
- ``pipelines``, ``augmentation``: input pipelines and augmentation layers;
- ``arithmetic``: layer formulas (output sizes, parameters, MACs, receptive fields);
- ``tracing`` (and ``keras_internals``, its adapter to Keras' graph): the per-layer trace of any model;
- ``scratch``, ``layers``: operations from scratch in NumPy (forward and backward), and the custom Keras layers;
  ``numpy_net``: the modern LeNet in NumPy, trained with SGD step for step beside Keras;
- ``models``: the architectures, one module per family, and their registry;
- ``schedules``: learning-rate schedules and the range test; ``training``: fit, stopping, per-head accuracy;
  ``time_plans``: how many epochs and steps a number of seconds buys (measured, planned, then held by ``fit``);
  ``sanity``: the tiny-batch check a set-up must pass before a long training;
- ``recipes``: how notebook 10 trains mini-VGG (the recipe of Sucky 2023 and a better one, its range test);
- ``warm_start``: the trained-weights cache; ``results``: recorded runs; ``machine``: what ran them;
  ``device_check``: a few timed training steps of every notebook's networks on a GPU (``make gpu-check``);
- ``comparison``: the models side by side; ``noise``: how far a measurement moves by chance, and the verdict
  a comparison may draw; ``tables``: text, HTML and Markdown tables;
- ``plotting``, ``explain``, ``widgets``: figures, feature maps and Grad-CAM, interactive explorers;
  ``model_explorer``: any model's layers, one unit's receptive field and its value recomputed in NumPy;
- ``checks``: numeric checks, the gradient check and "implement it" checkers; ``exercises``: the exercises and their
  registry, one module per notebook; ``progress``: the learner's solved exercises; ``versions``: the set-up check;
- ``registries``: the keyed tables behind exercises and models.

Example:
    >>> import course_utils
    >>> course_utils.conv_output_size(32, k=5)
    28
"""

from .quiet import import_tensorflow_quietly

import_tensorflow_quietly()  # before any module imports TensorFlow: keeps its C++ log lines out

from . import (  # noqa: E402
    arithmetic,
    bibliography,
    captchas,
    checks,
    data,
    exercises,
    noise,
    profiles,
    progress,
    recipes,
    results,
    sanity,
    session,
    settings,
    tracing,
    versions,
    warm_start,
)
from .arithmetic import conv_output_size, pool_output_size  # noqa: E402
from .checks import check_close, check_equal, check_function, rel_error  # noqa: E402
from .course import show_source  # noqa: E402
from .exercises import check, solution  # noqa: E402
from .session import clear_session, current, params, setup  # noqa: E402
from .tracing import trace  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "arithmetic", "bibliography", "captchas", "checks", "data", "exercises", "noise", "profiles", "progress", "recipes", "results", "sanity", "session",
    "settings", "tracing", "versions", "warm_start", "check", "check_close", "check_equal", "check_function", "clear_session", "conv_output_size",
    "current", "params", "pool_output_size", "rel_error", "setup", "show_source", "solution", "trace",
]
