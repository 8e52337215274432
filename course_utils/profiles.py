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
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

PROFILES = ("smoke", "classroom", "full")

# Every size, epoch count and switch a notebook uses: its "base" values (the classroom sizes) and, per
# profile, only the values that differ. params(name) merges them; notebooks read the result in their
# `parameters` cell, where papermill and instructors override them.
NOTEBOOK_PARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "00_start_here": {
        "base": {"sample_images": 8},
    },
    "01_images_as_arrays": {  # one photo and a handful of images: the same sizes in every profile
        "base": {"photo": "astronaut", "block": 6, "batch_size": 8},
    },
    "02_convolution": {  # from-scratch convs on a 128-pixel photo; only the kernel learning grows
        "base": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                 "learn_images": 16, "learn_side": 16, "learn_steps": 150, "learning_rate": 0.1},
        "smoke": {"learn_steps": 50},
        "full": {"learn_images": 64, "learn_side": 32, "learn_steps": 300},
    },
    "03_padding_and_stride": {  # arithmetic only: the same sizes in every profile
        "base": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
    },
    "04_pooling": {  # one photo from scikit-image: the same sizes in every profile
        "base": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
    },
    "05_flatten_dense_dropout": {  # the dropout experiment: a small subset, so overfitting shows
        "base": {"dataset": "fashion_mnist", "train_size": 1000, "val_size": 2000, "epochs": 40, "batch_size": 64,
                 "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200},
        "smoke": {"train_size": 256, "val_size": 256, "epochs": 1},
        "full": {"val_size": 10000, "epochs": 100},
    },
    "A3_batch_normalization": {  # appendix to 05: NumPy and single layers only, the same sizes everywhere
        "base": {"channels": 4, "batch_size": 32, "moving_steps": 300},
    },
    "06_lenet5": {  # None = the whole MNIST split; the classroom bars are checked only in classroom
        # validation_size images are held out of the training set to choose the learning rate and epoch
        "base": {"train_size": None, "validation_size": 5000, "test_size": None, "batch_size": 128,
                 "steps_per_execution": 32, "learning_rates": (2e-3, 5e-3, 1e-2), "sweep_epochs": 1,
                 "modern_epochs": 5, "classic_epochs": 5, "classic_distance_scale": 0.1, "check_bars": True},
        "smoke": {"train_size": 2000, "validation_size": 200, "test_size": 200, "steps_per_execution": 16,
                  "learning_rates": (5e-3, 1e-2), "modern_epochs": 1, "classic_epochs": 1, "check_bars": False},
        "full": {"sweep_epochs": 3, "modern_epochs": 20, "classic_epochs": 20, "check_bars": False},
    },
    "A1_fast_training_on_a_cpu": {  # timings on a training subset; the schedule demo on a small split
        "base": {"timing_images": 8192, "timing_repeats": 3, "min_seconds": 1.0, "small_batch_size": 32,
                 "batch_size": 128, "steps_per_execution": 32, "schedule_train_size": 10_000,
                 "schedule_val_size": 2000, "schedule_epochs": 3, "constant_learning_rate": 1e-3,
                 "peak_learning_rate": 5e-3},
        "smoke": {"timing_images": 512, "timing_repeats": 1, "min_seconds": 0.05, "steps_per_execution": 4,
                  "schedule_train_size": 512, "schedule_val_size": 256, "schedule_epochs": 1},
    },
    "07_alexnet": {
        # model: "small" (alexnet_small on 28 x 28 crops) or "paper" (alexnet_paper, crops upsampled to 227).
        # act_*: ReLU vs tanh the paper's way (SGD + momentum, epochs to a training error); pool_*: 3/2 vs 2/2.
        "base": {
            "train_size": 5000, "test_size": 1000, "batch_size": 64, "epochs": 10, "model": "small",
            "learning_rate": 1e-3, "crop_size": 28, "act_train_size": 2000, "act_epochs": 30,
            "act_target_error": 0.25, "act_learning_rate": 0.02, "pool_train_size": 2000, "pool_epochs": 5,
            "pool_seeds": 2,
        },
        "smoke": {"train_size": 256, "test_size": 100, "epochs": 1, "act_train_size": 128, "act_epochs": 1,
                  "pool_train_size": 128, "pool_epochs": 1},
        "full": {
            "train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "model": "paper",
            "learning_rate": 1e-4, "act_train_size": 10000, "act_epochs": 60, "pool_train_size": 10000,
            "pool_epochs": 15, "pool_seeds": 3,
        },
    },
    "08_vgg16": {
        # model: "small" (vgg16_small at `width`, 32 x 32) or "paper" (VGG16 + batch norm, CIFAR-10 upsampled to 224);
        # the paper's findings: each of `experiment_configs` (B-5x5 = B with 5 x 5 kernels) trains for the same seconds
        # dropout: in fc1 and fc2; 0 in classroom, where it slowed learning more than it helped in ten epochs
        "base": {
            "train_size": None, "test_size": None, "batch_size": 64, "model": "small", "width": 0.25, "epochs": 10,
            "learning_rate": 1e-3, "dropout": 0.0, "plain_epochs": 2,
            "experiment_configs": ("A", "A-LRN", "B", "B-5x5", "D"), "experiment_width": 0.125,
            "experiment_seconds": 35, "grad_cam_layer": "block3_relu3", "grad_cam_images": 6,
        },
        "smoke": {"train_size": 256, "test_size": 128, "epochs": 1, "plain_epochs": 1,
                  "experiment_configs": ("B", "B-5x5"), "experiment_seconds": 2},
        "full": {"batch_size": 128, "model": "paper", "width": 1.0, "epochs": 20, "dropout": 0.5, "plain_epochs": 3,
                 "experiment_configs": ("A", "A-LRN", "B", "B-5x5", "C", "D", "E"), "experiment_width": 0.5,
                 "experiment_seconds": 300, "grad_cam_layer": "block5_relu3"},
    },
    "09_vgg_captcha": {
        # model: "small" (seed 000's topology, every width / 8: 8 ... 64 filters, 512-unit dense layers) or "paper"
        # (seed 000's widths, 4,096); CAPTCHAs from the captcha package, cached; the test set is the fixed held-out one
        # (data.CAPTCHA_TEST_SEED). train_seconds: the training time, turned into steps at this machine's speed and
        # overheads (training.plan_training), so a class knows how long it waits; below the bar of 8 minutes
        # with a margin, since a plan from 20 timed batches can run over. None: `epochs` whole passes
        "base": {"model": "small", "train_size": 20000, "test_size": 2000, "batch_size": 32, "train_seconds": 400,
                 "epochs": 2, "learning_rate": 2e-3, "data_seed": 0, "samples_shown": 12, "gallery_size": 16},
        "smoke": {"train_size": 256, "test_size": 128, "train_seconds": None, "epochs": 1},
        "full": {"model": "paper", "train_size": 60000, "batch_size": 128, "train_seconds": None, "epochs": 15,
                 "learning_rate": 1e-3},
    },
    "A2_input_pipelines_and_memory": {  # appendix to 07: pipeline timings on a CIFAR-10 subset, memory arithmetic
        "base": {"train_size": 5000, "pipeline_seconds": 2.0, "pipeline_batch_size": 64, "memory_batch_size": 128},
        "smoke": {"train_size": 256, "pipeline_seconds": 0.05, "pipeline_batch_size": 16},
        "full": {"train_size": None, "pipeline_batch_size": 128},
    },
    "10_mini_vgg": {  # seed 004's v1 and v2 with its recipe, the range test, then the better recipe (one seed;
        # the three-seed comparison is read from benchmarks/bench_mini_vgg.py's results); full: the seed's 50,000
        # images and epochs, and the better recipe on a wider v2 with crops, aiming at 88 % in 20 epochs
        "base": {"train_size": None, "test_size": None, "batch_size": 64, "v1_epochs": 10, "v2_epochs": 3,
                 "range_test_steps": 60, "better_model": "v1", "better_width": 1.0, "better_epochs": 10,
                 "augmentation": "flip"},
        "smoke": {"train_size": 256, "test_size": 128, "v1_epochs": 1, "v2_epochs": 1, "range_test_steps": 15,
                  "better_epochs": 1},
        "full": {"batch_size": 128, "v2_epochs": 20, "range_test_steps": 100, "better_model": "v2", "better_width": 2.0,
                 "better_epochs": 20, "augmentation": "crop+flip"},
    },
    "11_inception": {  # classroom: the small Inception (Zhang et al. 2017) at `width` against mini-VGG v1, each trained
        # for `train_seconds` (turned into steps from its measured speed; None: one pass each, no speed
        # measurement); full: GoogLeNet with both auxiliary
        # heads on CIFAR-10 upsampled to 224 (mixed precision on a GPU) against mini-VGG v1 for the same time
        "base": {"train_size": None, "test_size": None, "batch_size": 64, "model": "small", "width": 0.5,
                 "train_seconds": 150, "learning_rate": 2e-3},
        "smoke": {"train_size": 256, "test_size": 128, "width": 0.125, "train_seconds": None},  # None: one pass each
        "full": {"batch_size": 128, "model": "paper", "width": 1.0, "train_seconds": 1800, "learning_rate": 1e-3},
    },
    "12_model_comparison": {  # builds and traces every registered model; trains none (results come from results/)
        # speed_*: training images/s measured now with a few SGD steps on models of at most speed_max_parameters
        # (None: all) at speed_side x speed_side (None: each model's native input)
        "base": {"side": 32, "speed_side": 32, "speed_batch_size": 8, "speed_seconds": 1.0,
                 "speed_max_parameters": 5_000_000},
        "smoke": {"speed_seconds": 0.05, "speed_max_parameters": 100_000},
        "full": {"speed_side": None, "speed_batch_size": 32, "speed_seconds": 3.0, "speed_max_parameters": None},
    },
}


# Lines TensorFlow and the native libraries it loads print on every healthy start-up. quiet_stderr()
# drops a captured line when one of these matches anywhere in it (re.search); every other line is
# replayed. Collected by importing TensorFlow with TF_CPP_MIN_LOG_LEVEL unset and 0 (CPU build) and
# from the GPU build's start-up lines in tensorflow/tensorflow#62075.
TF_NOISE_PATTERNS: tuple[str, ...] = (
    # absl, before TensorFlow configures logging: announces that the lines below go to stderr
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    # cpu_feature_guard.cc (INFO), first of two lines: the wheel targets a baseline CPU ...
    r"This TensorFlow binary is optimized to use available CPU instructions",
    # ... and its second line, naming the instructions (AVX2 FMA, AVX512F, ...)
    r"To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags",
    # port.cc (INFO, Intel CPUs): oneDNN custom operations are on; the course keeps them on
    r"oneDNN custom operations are on",
    # GPU builds: XLA registers its CUDA plugins twice (harmless)
    r"Unable to register cu(DNN|FFT|BLAS) factory: Attempting to register factory for plugin",
    # GPU builds: the same double registration, for XLA's computation placer
    r"computation placer already registered",
    # GPU builds without TensorRT installed: the course never uses TF-TRT
    r"TF-TRT Warning: Could not find TensorRT",
    # GPU builds on VMs and WSL: the kernel reports no NUMA node, so TensorFlow uses node zero
    r"successful NUMA node read from SysFS had negative value",
)
_NOISE = re.compile("|".join(f"(?:{pattern})" for pattern in TF_NOISE_PATTERNS))
# quiet_stderr() captures into <temp dir>/course_utils-stderr-<pid>-<random>.log; a file left by a
# process that died inside the block (a native crash) is replayed by the next quiet_stderr().
_CAPTURE_PREFIX = "course_utils-stderr-"


def debug_mode() -> bool:
    """Return True when ``COURSE_DEBUG`` is set (and not ``0``): nothing is silenced then.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, COURSE_DEBUG="1"):
        ...     debug_mode()
        True
        >>> with mock.patch.dict(os.environ, COURSE_DEBUG="0"):
        ...     debug_mode()
        False
    """
    return os.environ.get("COURSE_DEBUG", "").strip() not in ("", "0")


def _without_noise(text: str) -> str:
    """Return ``text`` without the lines that match :data:`TF_NOISE_PATTERNS`."""
    return "".join(line for line in text.splitlines(keepends=True) if not _NOISE.search(line))


def _replay(text: str) -> None:
    """Write captured text to the real stderr (Python's, so notebooks show it), ending with a newline."""
    if text:
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but belongs to someone else
    return True


def _replay_orphaned_captures() -> None:
    """Replay, then remove, what a process that died inside :func:`quiet_stderr` had captured."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return
    folder = tempfile.gettempdir()
    for name in sorted(os.listdir(folder)):
        pid = name[len(_CAPTURE_PREFIX):].split("-", 1)[0]
        if not (name.startswith(_CAPTURE_PREFIX) and name.endswith(".log") and pid.isdigit()) or _alive(int(pid)):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as f:
                text = f.read().decode(errors="replace")
            os.remove(path)
        except OSError:  # another user's file, or another process replayed it first
            continue
        _replay(f"course_utils: process {pid} died while starting TensorFlow; it had written:\n{text}")


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Capture file descriptor 2 inside the block, then replay every line that is not known noise.

    TensorFlow's native start-up lines ignore Python and are written straight to the process's
    stderr, so only a file-descriptor-level redirect keeps them out of notebooks. Nothing else is
    lost: lines not matching :data:`TF_NOISE_PATTERNS` (a CUDA library that fails to load, say) are
    written to ``sys.stderr`` after the block; if the block raises, every captured line is, noise
    included; ``COURSE_DEBUG=1`` turns capturing off.

    Example:
        >>> with quiet_stderr():
        ...     _ = os.write(2, b"oneDNN custom operations are on.\\n")  # dropped: known noise
    """
    _replay_orphaned_captures()
    if debug_mode():
        yield
        return
    sys.stderr.flush()
    try:
        capture, capture_path = tempfile.mkstemp(prefix=f"{_CAPTURE_PREFIX}{os.getpid()}-", suffix=".log")
    except OSError:  # no writable temporary folder: show everything rather than lose it
        yield
        return
    saved = os.dup(2)
    os.dup2(capture, 2)
    failed = True
    try:
        yield
        failed = False
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.lseek(capture, 0, os.SEEK_SET)
        with os.fdopen(capture, "rb") as f:
            text = f.read().decode(errors="replace")
        os.remove(capture_path)
        _replay(text if failed else _without_noise(text))


def import_tensorflow_quietly():
    """Import TensorFlow (and Keras) without their start-up noise; return ``tf``.

    ``TF_CPP_MIN_LOG_LEVEL`` defaults to 2 (TensorFlow's own errors only, for the whole session; not
    with ``COURSE_DEBUG=1``, which shows its warnings too, such as a CUDA library that fails to load)
    and :func:`quiet_stderr` drops the known noise lines. oneDNN stays on (turning it off made an
    AlexNet step 1.8x slower on a 2-core CPU).
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if not debug_mode():
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


def gpu_fallback_note(gpus: list) -> str | None:
    """Return one line when this machine has an NVIDIA GPU (``nvidia-smi``) that TensorFlow cannot use.

    None when TensorFlow sees a GPU or no NVIDIA driver is installed. Cheap: it runs nothing.

    Example:
        >>> gpu_fallback_note(["GPU:0"]) is None    # TensorFlow sees a GPU: nothing to say
        True
    """
    if gpus or shutil.which("nvidia-smi") is None:
        return None
    tf = import_tensorflow_quietly()
    if tf.sysconfig.get_build_info().get("is_cuda_build"):
        return (
            "NOTE: this machine has an NVIDIA GPU (nvidia-smi) but TensorFlow cannot use it, so this runs "
            "on the CPU: rerun with COURSE_DEBUG=1 to see why (often a CUDA library that fails to load)"
        )
    return (
        "NOTE: this machine has an NVIDIA GPU (nvidia-smi) but this TensorFlow is the CPU build, so this "
        "runs on the CPU: see the README's GPU section to install the GPU build"
    )


USER_FOLDERS = {  # kind: (Windows variable, XDG variable, fallback under the home folder)
    "cache": ("LOCALAPPDATA", "XDG_CACHE_HOME", (".cache",)),
    "data": ("APPDATA", "XDG_DATA_HOME", (".local", "share")),
}


def user_folder(kind: str, name: str, override_env: str | None = None) -> Path:
    """Return the course's folder ``name`` in the user's cache or data folder: never inside the repository.

    ``kind`` is ``"cache"`` (``%LOCALAPPDATA%``, ``$XDG_CACHE_HOME`` or ``~/.cache``: things the
    course can make again, such as weights and generated CAPTCHAs) or ``"data"`` (``%APPDATA%``,
    ``$XDG_DATA_HOME`` or ``~/.local/share``: the learner's own progress); the course's folders sit
    in ``cnn-classics`` there. When the environment variable ``override_env`` is set, its value is
    returned as it is.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": "/tmp/xdg", "COURSE_CACHE_DIR": ""}):
        ...     user_folder("cache", "weights", "COURSE_CACHE_DIR").as_posix()
        '/tmp/xdg/cnn-classics/weights'
    """
    if kind not in USER_FOLDERS:
        raise ValueError(f"unknown kind of user folder {kind!r}: use 'cache' or 'data'")
    if override_env and os.environ.get(override_env, "").strip():
        return Path(os.environ[override_env]).expanduser()
    windows, xdg, fallback = USER_FOLDERS[kind]
    if os.name == "nt" and os.environ.get(windows):
        return Path(os.environ[windows]) / "cnn-classics" / name
    base = os.environ.get(xdg, "").strip()
    return (Path(base).expanduser() if base else Path.home().joinpath(*fallback)) / "cnn-classics" / name


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


class NotebookParams(SimpleNamespace):
    """A notebook's parameters for one profile: attributes (``P.epochs``) and a readable ``print(P)``.

    Printing lists every value, marking those that differ from the notebook's base values.
    """

    __slots__ = ("_notebook", "_base")  # kept out of vars(P): only the parameters live there

    def __init__(self, notebook: str, profile: str, values: dict[str, Any], base: dict[str, Any]) -> None:
        super().__init__(profile=profile, **values)
        self._notebook = notebook
        self._base = base

    def differences(self) -> dict[str, tuple[Any, Any]]:
        """Return {name: (value, base value)} for the values that differ from the base values."""
        return {k: (v, self._base[k]) for k, v in vars(self).items()
                if k in self._base and (v != self._base[k] or type(v) is not type(self._base[k]))}

    def __repr__(self) -> str:
        changed = self.differences()
        items = [
            f"{k}={v!r}" + (f" (base {changed[k][1]!r})" if k in changed else "")
            for k, v in vars(self).items() if k != "profile"
        ]
        lines = [f"{self._notebook} ({self.profile}):"]
        for item in items:  # wrap between items, never inside one
            if len(lines[-1]) + len(item) + 3 > 100:  # ", " before it, "," after it
                lines[-1] += ","
                lines.append("    " + item)
            else:
                lines[-1] += (" " if lines[-1].endswith(":") else ", ") + item
        return "\n".join(lines)

    __str__ = __repr__


def params(notebook: str, profile: str | None = None) -> NotebookParams:
    """Return the sizes and switches of ``notebook`` for a profile (default: the active one).

    The notebook's base values, updated with the profile's own values (:data:`NOTEBOOK_PARAMS`).

    Example:
        >>> params("00_start_here", "smoke").sample_images
        8
        >>> print(params("02_convolution", "full"))
        02_convolution (full): photo='astronaut', photo_side=128, filters=64, maps_shown=16,
            learn_images=64 (base 16), learn_side=32 (base 16), learn_steps=300 (base 150),
            learning_rate=0.1
    """
    if notebook not in NOTEBOOK_PARAMS:
        raise ValueError(
            f"no parameters for notebook {notebook!r}; known: {', '.join(sorted(NOTEBOOK_PARAMS))}"
        )
    profile = profile or profile_name()
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r} is not one of {', '.join(PROFILES)}")
    table = NOTEBOOK_PARAMS[notebook]
    base = table.get("base", {})
    unknown_sections = set(table) - {"base", *PROFILES}
    if unknown_sections:
        raise ValueError(f"NOTEBOOK_PARAMS[{notebook!r}] has sections {sorted(unknown_sections)}; "
                         f"use 'base' and the profiles {', '.join(PROFILES)}")
    overrides = table.get(profile, {})
    strays = [k for k in overrides if k not in base]
    if strays:
        raise ValueError(f"NOTEBOOK_PARAMS[{notebook!r}][{profile!r}] sets {', '.join(strays)} without a base value: "
                         "add them to 'base' (a typo?)")
    return NotebookParams(notebook, profile, {**base, **overrides}, base)


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
    default strategy. Prints one deterministic banner line, and one more (:func:`gpu_fallback_note`)
    when the machine has an NVIDIA GPU that TensorFlow cannot use.

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
        note = gpu_fallback_note(gpus)
        if note:
            print(note)
    return run


def clear_session() -> None:
    """``keras.backend.clear_session()`` that keeps the dtype policy :func:`setup` chose.

    Keras' own clear_session forgets the global dtype policy too, so after it a GPU run would
    build its next model in float32 instead of ``mixed_float16``. Use this one between models
    (and after :func:`course_utils.comparison.build_shapes_only`, so that nothing initializes
    those variables later).

    Example:
        >>> import keras
        >>> keras.mixed_precision.set_global_policy("mixed_float16")
        >>> clear_session()
        >>> keras.mixed_precision.global_policy().name
        'mixed_float16'
        >>> keras.mixed_precision.set_global_policy("float32")
    """
    import keras

    policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)
