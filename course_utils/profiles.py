"""Run profiles, quiet TensorFlow import and the one-call notebook set-up.

Three profiles size every notebook (data, epochs, image size):

- ``smoke``: CI, seconds per notebook, tiny data, one epoch;
- ``classroom``: a 2-core laptop, real data, every notebook done in minutes;
- ``full``: a GPU, the papers' and source articles' sizes (224-pixel inputs, full data).

``COURSE_PROFILE`` selects one; the default is ``full`` when TensorFlow sees a GPU, else
``classroom``. Each notebook reads its sizes from :func:`params` in one ``parameters`` cell.

Example:
    >>> params("00_start_here").sample_images
    8
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

PROFILES = ("smoke", "classroom", "full")

# Every size, epoch count and switch a notebook uses, per profile. Notebooks read these through
# params(name) in their `parameters` cell; papermill and instructors override them there.
NOTEBOOK_PARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "00_start_here": {
        "smoke": {"sample_images": 8},
        "classroom": {"sample_images": 8},
        "full": {"sample_images": 8},
    },
    # <params 01_images_as_arrays>
    # <params 02_convolution>
    # <params 03_padding_and_stride>
    # <params 04_pooling>
    # <params 05_flatten_dense_dropout>
    # <params 06_lenet5>
    # <params 07_alexnet>
}


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C++ log lines such as TensorFlow's oneDNN notice) inside the block.

    TensorFlow's native start-up lines ignore ``TF_CPP_MIN_LOG_LEVEL`` and are written straight to
    the process's stderr, so only a file-descriptor-level redirect keeps them out of notebooks.

    Example:
        >>> with quiet_stderr():
        ...     _ = os.write(2, b"this line never reaches the notebook")
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    """Import TensorFlow (and Keras) with its native start-up log lines silenced; return ``tf``.

    oneDNN stays on (turning it off made an AlexNet step 1.8x slower on a 2-core CPU).
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_stderr():
        import keras  # noqa: F401  (the first Keras import logs too)
        import tensorflow as tf

        tf.zeros((1,))  # the first op loads more native code, which logs again
        tf.config.list_physical_devices()
    return tf


def _gpus() -> list:
    tf = import_tensorflow_quietly()
    return tf.config.list_physical_devices("GPU")


def profile_name() -> str:
    """Return the active profile: ``COURSE_PROFILE``, else ``full`` with a GPU, else ``classroom``.

    Example:
        >>> os.environ["COURSE_PROFILE"] = "smoke"; profile_name()
        'smoke'
    """
    name = os.environ.get("COURSE_PROFILE", "").strip().lower()
    if not name:
        return "full" if _gpus() else "classroom"
    if name not in PROFILES:
        raise ValueError(
            f"COURSE_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)} "
            "(or unset it to choose automatically)"
        )
    return name


def params(notebook: str, profile: str | None = None) -> SimpleNamespace:
    """Return the sizes and switches of ``notebook`` for a profile (default: the active one).

    Example:
        >>> params("00_start_here", "smoke").sample_images
        8
    """
    if notebook not in NOTEBOOK_PARAMS:
        raise ValueError(
            f"no parameters for notebook {notebook!r}; known: {', '.join(sorted(NOTEBOOK_PARAMS))}"
        )
    profile = profile or profile_name()
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r} is not one of {', '.join(PROFILES)}")
    return SimpleNamespace(profile=profile, **NOTEBOOK_PARAMS[notebook][profile])


@dataclass(frozen=True)
class Run:
    """What :func:`setup` chose: the profile, the device kind and the distribution strategy."""

    profile: str
    device: str
    seed: int
    strategy: Any
    mixed_precision: bool

    def banner(self) -> str:
        import keras

        tf = import_tensorflow_quietly()
        return (
            f"course_utils | profile: {self.profile} | device: {self.device} | "
            f"TensorFlow {tf.__version__} | Keras {keras.__version__} | seed: {self.seed}"
        )

    def __repr__(self) -> str:
        return self.banner()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed`` seeds all three)."""
    import keras

    random.seed(seed)
    keras.utils.set_random_seed(seed)


def setup(seed: int = 0, verbose: bool = True) -> Run:
    """Prepare a notebook: quiet TensorFlow, seeds, profile, device, mixed precision, strategy.

    Mixed precision (``mixed_float16``) is turned on only on a GPU: on a CPU it is several times
    slower. The strategy is ``MirroredStrategy`` when more than one GPU is visible, else the
    default strategy. Prints one deterministic banner line.

    Example:
        >>> run = setup(seed=42)
        course_utils | profile: ... | device: ... | TensorFlow ... | Keras ... | seed: 42
        >>> run.strategy.num_replicas_in_sync    # build models inside `with run.strategy.scope():`
        1
    """
    tf = import_tensorflow_quietly()
    import keras

    # extra code: Keras warns (with a machine path) whenever fit() gets a tf.data pipeline and the
    # default shuffle=True; our pipelines shuffle themselves, so this warning is noise.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
    profile = profile_name()
    gpus = _gpus()
    if len(gpus) > 1:
        strategy = tf.distribute.MirroredStrategy()
        device = f"GPU x{len(gpus)}"
    else:
        strategy = tf.distribute.get_strategy()
        device = "GPU" if gpus else "CPU"
    mixed = bool(gpus)
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    seed_everything(seed)
    run = Run(profile=profile, device=device, seed=seed, strategy=strategy, mixed_precision=mixed)
    if verbose:
        print(run.banner())
    return run
