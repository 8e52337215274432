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
    "01_images_as_arrays": {  # one photo and a handful of images: the same sizes in every profile
        "smoke": {"photo": "astronaut", "block": 6, "batch_size": 8},
        "classroom": {"photo": "astronaut", "block": 6, "batch_size": 8},
        "full": {"photo": "astronaut", "block": 6, "batch_size": 8},
    },
    "02_convolution": {  # from-scratch convs on a 128-pixel photo; only the kernel learning grows
        "smoke": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                  "learn_images": 16, "learn_side": 16, "learn_steps": 50, "learning_rate": 0.1},
        "classroom": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                      "learn_images": 16, "learn_side": 16, "learn_steps": 150, "learning_rate": 0.1},
        "full": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                 "learn_images": 64, "learn_side": 32, "learn_steps": 300, "learning_rate": 0.1},
    },
    "03_padding_and_stride": {  # arithmetic only: the same sizes in every profile
        "smoke": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
        "classroom": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
        "full": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
    },
    "04_pooling": {  # one photo from scikit-image: the same sizes in every profile
        "smoke": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
        "classroom": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
        "full": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
    },
    "05_flatten_dense_dropout": {  # the dropout experiment: a small subset, so overfitting shows
        "smoke": {"dataset": "fashion_mnist", "train_size": 256, "val_size": 256, "epochs": 1, "batch_size": 64,
                  "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200, "bn_steps": 300},
        "classroom": {"dataset": "fashion_mnist", "train_size": 1000, "val_size": 2000, "epochs": 40, "batch_size": 64,
                      "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200, "bn_steps": 300},
        "full": {"dataset": "fashion_mnist", "train_size": 1000, "val_size": 10000, "epochs": 100, "batch_size": 64,
                 "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200, "bn_steps": 300},
    },
    "06_lenet5": {  # None = the whole MNIST split; the classroom bars are asserted only in classroom
        "smoke": {"train_size": 2000, "test_size": 200, "batch_size": 128, "steps_per_execution": 16,
                  "benchmark_steps": 3, "modern_epochs": 1, "modern_learning_rate": 5e-3,
                  "classic_epochs": 1, "classic_learning_rate": 5e-3, "classic_distance_scale": 0.1,
                  "check_bars": False},
        "classroom": {"train_size": None, "test_size": None, "batch_size": 128, "steps_per_execution": 32,
                      "benchmark_steps": 40, "modern_epochs": 5, "modern_learning_rate": 5e-3,
                      "classic_epochs": 5, "classic_learning_rate": 5e-3, "classic_distance_scale": 0.1,
                      "check_bars": True},
        "full": {"train_size": None, "test_size": None, "batch_size": 128, "steps_per_execution": 32,
                 "benchmark_steps": 40, "modern_epochs": 20, "modern_learning_rate": 5e-3,
                 "classic_epochs": 20, "classic_learning_rate": 5e-3, "classic_distance_scale": 0.1,
                 "check_bars": False},
    },
    "07_alexnet": {
        # model: "small" (alexnet_small, 32 x 32) or "paper" (alexnet_paper, CIFAR-10 upsampled to 227)
        "smoke": {
            "train_size": 256, "test_size": 100, "batch_size": 64, "epochs": 1, "model": "small",
            "learning_rate": 1e-3, "crop_pad": 2, "act_train_size": 128, "act_epochs": 1,
            "act_target_error": 0.6, "pipeline_batches": 2, "pipeline_batch_size": 16, "grid_images": 100,
        },
        "classroom": {
            "train_size": 5000, "test_size": 1000, "batch_size": 64, "epochs": 10, "model": "small",
            "learning_rate": 1e-3, "crop_pad": 2, "act_train_size": 2000, "act_epochs": 5,
            "act_target_error": 0.6, "pipeline_batches": 8, "pipeline_batch_size": 64, "grid_images": 100,
        },
        "full": {
            "train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "model": "paper",
            "learning_rate": 1e-4, "crop_pad": 2, "act_train_size": 10000, "act_epochs": 20,
            "act_target_error": 0.25, "pipeline_batches": 50, "pipeline_batch_size": 128, "grid_images": 100,
        },
    },
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
