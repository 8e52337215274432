"""Run profiles: the sizes, epochs and switches of every notebook in each profile.

Four profiles size every notebook (data, epochs, image size):

- ``smoke``: CI, seconds per notebook, tiny data, one epoch;
- ``classroom``: a 2-core laptop, real data, every notebook done in minutes (the default without a GPU);
- ``gpu``: the default on a GPU: full datasets and the classroom's networks, every training run
  stopped by :data:`RUN_SECONDS` (the timed ones planned for their own seconds), so that a notebook
  ends within about 10 minutes on whatever GPU it meets: :func:`plan_note` says how long before it starts;
- ``full``: opt-in, the papers' and source articles' sizes (224-pixel inputs, full data, their epochs):
  hours even on a GPU; each training run prints its estimate on the device after its first steps.

The session (:func:`course_utils.setup`) chooses the profile; each notebook reads its sizes with
``course_utils.params(name)`` in one ``parameters`` cell, which is :func:`params` for the session's profile.

Example:
    >>> params("00_start_here", "smoke").sample_images
    8
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from . import settings

PROFILES = settings.PROFILES

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
        "gpu": {"learn_images": 64, "learn_side": 32, "learn_steps": 300},
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
        "gpu": {"val_size": 10000, "epochs": 100},
        "full": {"val_size": 10000, "epochs": 100},
    },
    "A3_batch_normalization": {  # appendix to 05: NumPy and single layers only, the same sizes everywhere
        "base": {"channels": 4, "batch_size": 32, "moving_steps": 300},
    },
    "A4_backpropagation": {  # appendix to 05: a NumPy LeNet (float64, on the CPU in every profile) beside Keras
        # train_size MNIST images feed `steps` SGD steps of batch_size; test_size None = the whole test set
        "base": {"train_size": 12000, "test_size": None, "batch_size": 64, "steps": 400, "learning_rate": 0.05,
                 "speed_batch": 32, "speed_seconds": 1.0, "accuracy_bar": 0.9},
        "smoke": {"train_size": 512, "test_size": 256, "steps": 16, "speed_batch": 8, "speed_seconds": 0.05,
                  "accuracy_bar": None},
    },
    "06_lenet5": {  # None = the whole MNIST split; the classroom bars are checked only in classroom
        # validation_size images are held out of the training set to choose the learning rate and epoch
        "base": {"train_size": None, "validation_size": 5000, "test_size": None, "batch_size": 128,
                 "steps_per_execution": 32, "learning_rates": (2e-3, 5e-3, 1e-2), "sweep_epochs": 1,
                 "modern_epochs": 5, "classic_epochs": 5, "classic_distance_scale": 0.1, "check_bars": True},
        "smoke": {"train_size": 2000, "validation_size": 200, "test_size": 200, "steps_per_execution": 16,
                  "learning_rates": (5e-3, 1e-2), "modern_epochs": 1, "classic_epochs": 1, "check_bars": False},
        "gpu": {"learning_rates": (5e-3, 1e-2), "sweep_epochs": 3, "modern_epochs": 20, "classic_epochs": 20,
                "check_bars": False},
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
        "gpu": {
            "train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "act_train_size": 10000,
            "act_epochs": 60, "pool_train_size": 10000, "pool_epochs": 15,
        },
        "full": {
            "train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "model": "paper",
            "learning_rate": 1e-4, "act_train_size": 10000, "act_epochs": 60, "pool_train_size": 10000,
            "pool_epochs": 15, "pool_seeds": 3,
        },
    },
    "08_vgg16": {
        # model: "small" (vgg16_small at `width`, 32 x 32) or "paper" (VGG16 + batch norm, CIFAR-10 upsampled to 224);
        # the paper's findings: each of `experiment_configs` (B-5x5 = B with 5 x 5 kernels) trains for `experiment_seconds`,
        # turned into steps from a throwaway copy's speed, building and validation (training.plan_training, which
        # costs a probe each); None: one pass each, nothing timed. Classroom: five configurations x (probe + the
        # seconds) is most of 08's run time (results/classroom/notebook_times.json), kept under the 10-minute bound
        # dropout: in fc1 and fc2; 0 in classroom, where it slowed learning more than it helped in ten epochs
        "base": {
            "train_size": None, "test_size": None, "batch_size": 64, "model": "small", "width": 0.25, "epochs": 10,
            "learning_rate": 1e-3, "dropout": 0.0, "plain_epochs": 2,
            "experiment_configs": ("A", "A-LRN", "B", "B-5x5", "D"), "experiment_width": 0.125,
            "experiment_seconds": 30, "grad_cam_layer": "block3_relu3", "grad_cam_images": 6,
        },
        "smoke": {"train_size": 256, "test_size": 128, "epochs": 1, "plain_epochs": 1,
                  "experiment_configs": ("B", "B-5x5"), "experiment_seconds": None},
        "gpu": {"batch_size": 128, "width": 0.5, "epochs": 20, "plain_epochs": 3,
                "experiment_configs": ("A", "A-LRN", "B", "B-5x5", "C", "D", "E"), "experiment_width": 0.25,
                "experiment_seconds": 20},
        "full": {"batch_size": 128, "model": "paper", "width": 1.0, "epochs": 20, "dropout": 0.5, "plain_epochs": 3,
                 "experiment_configs": ("A", "A-LRN", "B", "B-5x5", "C", "D", "E"), "experiment_width": 0.5,
                 "experiment_seconds": 300, "grad_cam_layer": "block5_relu3"},
    },
    "09_vgg_captcha": {
        # model: "small" (the VGG16-CAPTCHA tutorial's topology, every width / 8: 8 ... 64 filters, 512-unit dense layers) or "paper"
        # (the VGG16-CAPTCHA tutorial's widths, 4,096); CAPTCHAs from the captcha package, cached; the test set is the fixed held-out one
        # (data.CAPTCHA_TEST_SEED). train_seconds: the training time, turned into steps at this machine's speed and
        # overheads (training.plan_training), so a class knows how long it waits; below the bar of 8 minutes,
        # and fit holds it (time_plan: re-planned at the run's own speed as it trains). None: `epochs` whole passes
        "base": {"model": "small", "train_size": 20000, "test_size": 2000, "batch_size": 32, "train_seconds": 400,
                 "epochs": 2, "learning_rate": 2e-3, "data_seed": 0, "samples_shown": 12, "gallery_size": 12},
        "smoke": {"train_size": 256, "test_size": 128, "train_seconds": None, "epochs": 1},
        "gpu": {"batch_size": 128, "train_seconds": 60},  # the CAPTCHAs are drawn on the CPU: the classroom's number
        "full": {"model": "paper", "train_size": 60000, "batch_size": 128, "train_seconds": None, "epochs": 15,
                 "learning_rate": 1e-3},
    },
    "A2_input_pipelines_and_memory": {  # appendix to 07: pipeline timings on a CIFAR-10 subset, memory arithmetic
        "base": {"train_size": 5000, "pipeline_seconds": 2.0, "pipeline_batch_size": 64, "memory_batch_size": 128},
        "smoke": {"train_size": 256, "pipeline_seconds": 0.05, "pipeline_batch_size": 16},
        "gpu": {"train_size": None, "pipeline_batch_size": 128},
        "full": {"train_size": None, "pipeline_batch_size": 128},
    },
    "10_mini_vgg": {  # Sucky 2023's v1 and v2 with its recipe, the range test, then the better recipe (one seed;
        # the comparison over seeds is read from benchmarks/bench_mini_vgg.py's results); full: Sucky 2023's 50,000
        # images and epochs, and the better recipe on a wider v2 with crops for 20 epochs (no run of it recorded)
        "base": {"train_size": None, "test_size": None, "batch_size": 64, "v1_epochs": 10, "v2_epochs": 3,
                 "range_test_steps": 60, "better_model": "v1", "better_width": 1.0, "better_epochs": 10,
                 "augmentation": "flip"},
        "smoke": {"train_size": 256, "test_size": 128, "v1_epochs": 1, "v2_epochs": 1, "range_test_steps": 15,
                  "better_epochs": 1},
        "gpu": {"batch_size": 128, "v2_epochs": 20, "range_test_steps": 100, "better_epochs": 20,
                "augmentation": "crop+flip"},
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
        "gpu": {"batch_size": 128, "width": 1.0, "train_seconds": 60},
        "full": {"batch_size": 128, "model": "paper", "width": 1.0, "train_seconds": 1800, "learning_rate": 1e-3},
    },
    "12_model_comparison": {  # builds and traces every registered model; trains none (results come from results/)
        # speed_*: training images/s measured now with a few SGD steps on models of at most speed_max_parameters
        # (None: all) at speed_side x speed_side (None: each model's native input)
        "base": {"side": 32, "speed_side": 32, "speed_batch_size": 8, "speed_seconds": 1.0,
                 "speed_max_parameters": 5_000_000},
        "smoke": {"speed_seconds": 0.05, "speed_max_parameters": 100_000},
        "gpu": {"speed_batch_size": 32, "speed_seconds": 2.0, "speed_max_parameters": None},
        "full": {"speed_side": None, "speed_batch_size": 32, "speed_seconds": 3.0, "speed_max_parameters": None},
    },
}


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


def params(notebook: str, profile: str) -> NotebookParams:
    """Return the sizes and switches of ``notebook`` for ``profile``.

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
    profile = settings.check_profile(profile, "profile")
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




# The time plan of the profiles made for a GPU. gpu: every training run (one fit) stops by RUN_SECONDS
# (COURSE_TIME_BUDGET overrides it), keeping its best weights; the runs timed by plan_training train for
# their own seconds, below it. full: no cap; each run prints its estimate after ESTIMATE_STEPS[profile] steps.
RUN_SECONDS: dict[str, float] = {"gpu": 75.0}
ESTIMATE_STEPS: dict[str, int] = {"full": 20}

# What each training notebook trains, from its parameters: one entry per fit, its planned seconds (None: a
# run of epochs, stopped by RUN_SECONDS at the latest). tests/test_gpu_profile.py counts the fit calls of
# each notebook's code against these lists.
TRAINING_RUNS: dict[str, Callable[[NotebookParams], list[float | None]]] = {
    "05_flatten_dense_dropout": lambda P: [None, None],  # without and with dropout
    "06_lenet5": lambda P: [None] * (2 * len(P.learning_rates) + 2),  # the sweep, then modern and classic
    "A1_fast_training_on_a_cpu": lambda P: [None] * 3,  # three learning-rate recipes
    "07_alexnet": lambda P: [None] * (2 + 2 * P.pool_seeds + 1),  # ReLU/tanh, pool 3/2 and 2/2 per seed, the net
    "08_vgg16": lambda P: [P.experiment_seconds] * len(P.experiment_configs) + [None, None],  # experiments, plain, BN
    "09_vgg_captcha": lambda P: [P.train_seconds],
    "10_mini_vgg": lambda P: [None] * 3,  # v1 and v2 with the article's recipe, the better recipe
    "11_inception": lambda P: [P.train_seconds] * 2,  # Inception and mini-VGG, the same seconds each
}


def markdown_table() -> str:
    """The README's table of profiles (generated by ``make sync``), its figures taken from :data:`RUN_SECONDS` and
    :data:`ESTIMATE_STEPS`.

    Example:
        >>> markdown_table().splitlines()[0]
        '| profile | for | what it does |'
    """
    roles = {
        "smoke": ("CI", "seconds per notebook: tiny data subsets (synthetic stand-ins, clearly announced, when the data "
                  "is not on the machine), 1 epoch"),
        "classroom": ("a 2-core laptop", "real data; every notebook done in minutes (default without a GPU)"),
        "gpu": ("a GPU", f"full datasets with the classroom's networks; each training run stops by its time plan "
                f"({RUN_SECONDS['gpu']:g} s at the latest), so a notebook ends within about 10 minutes on any GPU and "
                "says how long before it trains (default with a GPU)"),
        "full": ("a GPU and hours", "opt-in (`COURSE_PROFILE=full`): the papers' sizes, 224-pixel inputs, full datasets, "
                 "the papers' epochs; each training run prints its estimated duration on the device after its first "
                 f"{ESTIMATE_STEPS['full']} steps"),
    }
    rows = [f"| `{name}` | {who} | {what} |" for name, (who, what) in roles.items()]
    return "\n".join(["| profile | for | what it does |", "|---|---|---|", *rows])


def plan_note(notebook: str, profile: str, run_seconds: float | None = None) -> str | None:
    """The line a notebook prints before it trains in a GPU profile: how long its training takes at most.

    ``run_seconds`` (``COURSE_TIME_BUDGET``) replaces the profile's :data:`RUN_SECONDS`. None for
    profiles without a time plan (smoke, classroom) and notebooks that train nothing.

    Example:
        >>> print(plan_note("11_inception", "gpu"))
        time plan (gpu profile): 2 training runs (2 planned for 60 s each from a timing of a few steps): about 2 min of training (data loading and plots aside)
        >>> plan_note("11_inception", "classroom") is None
        True
    """
    if notebook not in TRAINING_RUNS or profile not in (*RUN_SECONDS, *ESTIMATE_STEPS):
        return None
    runs = TRAINING_RUNS[notebook](params(notebook, profile))
    if profile in ESTIMATE_STEPS:
        return (f"time plan ({profile} profile, the papers' sizes): {len(runs)} training run(s), often hours in all, "
                f"even on a GPU; each prints its estimate on this device after its first {ESTIMATE_STEPS[profile]} "
                "steps: press stop to end one early, keeping its best weights")
    cap = RUN_SECONDS[profile] if run_seconds is None else run_seconds
    planned = [s for s in runs if s is not None]
    capped = len(runs) - len(planned)
    parts = []
    if capped:
        parts.append(f"{capped} stopped by {cap:g} s at the latest")
    if planned:
        parts.append(f"{len(planned)} planned for {', '.join(sorted({f'{s:g} s' for s in planned}))}{' each' if len(planned) > 1 else ''} "
                     "from a timing of a few steps")
    minutes = math.ceil((capped * cap + sum(planned)) / 60)
    return (f"time plan ({profile} profile): {len(runs)} training run{'s' if len(runs) > 1 else ''} ({', '.join(parts)}): "
            f"{'at most ' if capped else ''}about {minutes} min of training "
            "(data loading and plots aside)")
