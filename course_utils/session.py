"""The session: what a notebook runs with, decided once when it starts.

:func:`setup` reads every setting (:func:`course_utils.settings.read`), chooses the profile, the
device, the precision and the distribution strategy, seeds everything and installs the result as
the active :class:`Session`. Data loading, training, warm start, results and the comparison take
their profile, folders, retrain switch and time budget from it (:func:`current`), never from the
environment. A script or test that never calls :func:`setup` gets a session read from the
environment at that moment, without seeding or touching the precision policy.

Example:
    >>> run = setup(seed=42)
    course_utils | profile: ... | device: ... | TensorFlow ... | Keras ... | seed: 42
    >>> current() is run, run.strategy.num_replicas_in_sync
    (True, 1)
    >>> run.params("00_start_here").sample_images
    8
"""

from __future__ import annotations

import random
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from . import profiles, settings
from .settings import Settings


@dataclass(frozen=True)
class Session:
    """What :func:`setup` chose: settings, profile, device, seed, strategy and precision.

    ``retrain`` is the default of every training cell: False reuses weights trained before on this
    machine (warm start). ``time_budget`` (seconds, or None) stops every training run cleanly.
    """

    settings: Settings
    profile: str
    device: str = "CPU"
    seed: int = 0
    strategy: Any = field(default=None, compare=False)
    mixed_precision: bool = False
    retrain: bool = True

    @property
    def time_budget(self) -> float | None:
        """Seconds after which every training run stops: ``COURSE_TIME_BUDGET``, else the profile's time plan
        (:data:`course_utils.profiles.RUN_SECONDS`: the ``gpu`` profile's), else None."""
        if self.settings.time_budget is not None:
            return self.settings.time_budget
        return profiles.RUN_SECONDS.get(self.profile)

    @property
    def budget_is_planned(self) -> bool:
        """True when :attr:`time_budget` is the profile's time plan, not ``COURSE_TIME_BUDGET``: a run it ends
        ended as planned (its weights are cached), rather than cut short."""
        return self.settings.time_budget is None and self.profile in profiles.RUN_SECONDS

    @property
    def results_dir(self) -> Path:
        """``results/<profile>``: where this session's runs are recorded."""
        return self.settings.results_dir / self.profile

    @property
    def weights_dir(self) -> Path:
        """The warm-start cache of trained weights and time plans (outside the repository)."""
        return self.settings.cache_dir / "weights"

    @property
    def captcha_dir(self) -> Path:
        """The cache of generated CAPTCHA datasets."""
        return self.settings.cache_dir / "captcha"

    def params(self, notebook: str) -> profiles.NotebookParams:
        """Return ``notebook``'s sizes and switches for this session's profile (:func:`course_utils.profiles.params`)."""
        return profiles.params(notebook, self.profile)

    def build(self, builder: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Return ``builder(*args, **kwargs)`` built where this session trains (engineering, not the lesson).

        On one device this is a plain call; with several GPUs :func:`setup` chose a ``MirroredStrategy``,
        and a model must be built inside its scope to be copied to every GPU (Keras 3 keeps that strategy
        with the model and creates the optimizer's variables in it, so compiling afterwards is fine). Under mixed
        precision the course's builders keep their softmax in float32. Appendix A2 shows the details.

        Example:
            >>> import keras
            >>> from course_utils.session import from_settings
            >>> from_settings().build(keras.layers.Dense, 3).units
            3
        """
        if self.strategy is None:
            return builder(*args, **kwargs)
        with self.strategy.scope():
            return builder(*args, **kwargs)

    def banner(self) -> str:
        """The one line a notebook prints when it starts (no machine paths, no times)."""
        return (f"course_utils | profile: {self.profile} | device: {self.device} | "
                f"TensorFlow {tf.__version__} | Keras {keras.__version__} | seed: {self.seed}")

    def __repr__(self) -> str:
        return self.banner()


_ACTIVE: Session | None = None


def _gpus() -> list:
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
    if tf.sysconfig.get_build_info().get("is_cuda_build"):
        return (
            "NOTE: this machine has an NVIDIA GPU (nvidia-smi) but TensorFlow cannot use it, so this runs "
            "on the CPU: rerun with COURSE_DEBUG=1 to see why (often a CUDA library that fails to load)"
        )
    return (
        "NOTE: this machine has an NVIDIA GPU (nvidia-smi) but this TensorFlow is the CPU build, so this "
        "runs on the CPU: see the README's GPU section to install the GPU build"
    )


def _default_profile(chosen: str | None, gpus: list | None = None) -> str:
    """``chosen``, else ``gpu`` where TensorFlow sees a GPU, else ``classroom`` (``full`` is never a default)."""
    return chosen or ("gpu" if (_gpus() if gpus is None else gpus) else "classroom")


def from_settings(values: Settings | None = None) -> Session:
    """Return a session for ``values`` (default: the environment now) without seeding or installing it.

    Example:
        >>> s = from_settings(settings.read({"COURSE_PROFILE": "smoke", "COURSE_RETRAIN": "0"}))
        >>> s.profile, s.retrain, s.results_dir.name
        ('smoke', False, 'smoke')
    """
    values = settings.read() if values is None else values
    return Session(settings=values, profile=_default_profile(values.profile), retrain=values.retrain)


def current() -> Session:
    """Return the active session (:func:`setup`'s), else one read from the environment now."""
    return _ACTIVE if _ACTIVE is not None else from_settings()


def install(session: Session | None) -> Session | None:
    """Make ``session`` the active one (None: none, so :func:`current` reads the environment); return the previous.

    Tests use it to run code under a session of their own and restore the one before.
    """
    global _ACTIVE
    previous, _ACTIVE = _ACTIVE, session
    return previous


def detail(text: str) -> None:
    """Print ``text`` only when ``COURSE_VERBOSE=1``: the machinery of a training call (cache files, records,
    checkpoints) that a learner does not need to read, while its one-line summary always prints.

    Example:
        >>> detail("warm start: weights saved to ...")  # silent unless COURSE_VERBOSE=1
    """
    if current().settings.verbose:
        print(text)


def params(notebook: str, profile: str | None = None) -> profiles.NotebookParams:
    """Return ``notebook``'s sizes and switches for ``profile`` (default: the active session's).

    In a profile with a time plan (``gpu``, ``full``) it prints, before anything trains, how long the
    notebook's training takes there (:func:`course_utils.profiles.plan_note`).

    Example:
        >>> params("02_convolution", "smoke").learn_steps
        50
    """
    chosen = profile or current().profile
    note = profiles.plan_note(notebook, chosen, current().settings.time_budget)
    if note is not None:
        print(note)
    return profiles.params(notebook, chosen)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed`` seeds all three)."""
    random.seed(seed)
    keras.utils.set_random_seed(seed)


def setup(seed: int = 0, verbose: bool = True, *, retrain: bool | None = None,
          profile: str | None = None) -> Session:
    """Start a notebook: read the settings, choose profile, device, precision and strategy, seed; return the session.

    ``retrain`` (default: ``COURSE_RETRAIN``, else True) says whether training cells train (True)
    or reuse weights trained before on this machine (False). ``profile`` overrides ``COURSE_PROFILE``.
    Mixed precision (``mixed_float16``) is turned on only on a GPU: on a CPU it is several times
    slower. The strategy is ``MirroredStrategy`` when more than one GPU is visible, else the
    default strategy. Prints one deterministic banner line, and one more (:func:`gpu_fallback_note`)
    when the machine has an NVIDIA GPU that TensorFlow cannot use.
    """
    values = settings.read()
    # extra code: Keras warns (with a machine path) whenever fit() gets a tf.data pipeline and the
    # default shuffle=True; our pipelines shuffle themselves, so this warning is noise.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
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
    chosen = settings.check_profile(profile, "profile") if profile else values.profile
    session = Session(settings=values, profile=_default_profile(chosen, gpus), device=device,
                      seed=seed, strategy=strategy, mixed_precision=mixed,
                      retrain=values.retrain if retrain is None else bool(retrain))
    install(session)
    if verbose:
        print(session.banner())
        note = gpu_fallback_note(gpus)
        if note:
            print(note)
    return session


def with_profile(profile: str) -> Session:
    """Return the active session with another profile (tests, benchmarks, the comparison of recorded runs)."""
    return replace(current(), profile=settings.check_profile(profile, "profile"))


def clear_session() -> None:
    """``keras.backend.clear_session()`` that keeps the dtype policy :func:`setup` chose.

    Keras' own clear_session forgets the global dtype policy too, so after it a GPU run would
    build its next model in float32 instead of ``mixed_float16``. Use this one between models
    (and after :func:`course_utils.comparison.build_shapes_only`, so that nothing initializes
    those variables later).

    Example:
        >>> keras.mixed_precision.set_global_policy("mixed_float16")
        >>> clear_session()
        >>> keras.mixed_precision.global_policy().name
        'mixed_float16'
        >>> keras.mixed_precision.set_global_policy("float32")
    """
    policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)
