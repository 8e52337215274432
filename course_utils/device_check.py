"""The GPU check: every training notebook's networks, a few real training steps each, on this device.

``make gpu-check`` (``scripts/gpu_check.py``) calls :func:`check_networks` for the ``gpu`` and ``full``
profiles: for each network a notebook trains there (:func:`networks`, built from the profile's parameters
as the notebook builds it), one ``fit`` over ``steps + 1`` batches of random images and labels at the
profile's batch size (:func:`course_utils.training.measure_training_costs`: the first batch builds the
step, the others are timed), with the session's precision (``mixed_float16`` on a GPU) and strategy.
It records step time, images per second and peak device memory (None on a CPU, where TensorFlow keeps
no such count) in ``results/<profile>/benchmarks/gpu_check.json``. On a CPU it runs too, slowly: the
tests run it with two steps on the smallest networks.

Example:
    >>> [n.model for n in networks("06_lenet5", "gpu")]
    ['lenet5_modern', 'lenet5_classic']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from . import models, profiles, results, training
from .session import clear_session, current


@dataclass(frozen=True)
class Network:
    """One network a notebook trains in a profile: its notebook, name, builder and batch size."""

    notebook: str
    model: str
    build: Callable[[], Any]
    batch_size: int


@dataclass(frozen=True)
class StepCheck:
    """What :func:`check_network` measured: NHWC input, batch, seconds per step, images/s, peak device MiB."""

    notebook: str
    model: str
    parameters: int
    input_shape: tuple[int, ...]
    batch_size: int
    steps: int
    step_seconds: float
    images_per_second: float
    build_seconds: float
    peak_device_mib: float | None


TRAINING_NOTEBOOKS = ("06_lenet5", "A1_fast_training_on_a_cpu", "07_alexnet", "08_vgg16", "09_vgg_captcha",
                      "10_mini_vgg", "11_inception")


def networks(notebook: str, profile: str) -> list[Network]:
    """The networks ``notebook`` trains in ``profile``, each built as the notebook builds it.

    Example:
        >>> [n.model for n in networks("08_vgg16", "full")][:2]
        ['vgg16_paper', 'vgg_E_experiment']
    """
    if notebook not in TRAINING_NOTEBOOKS:
        raise ValueError(f"no networks listed for {notebook!r}; the training notebooks: {', '.join(TRAINING_NOTEBOOKS)}")
    P = profiles.params(notebook, profile)
    if notebook in ("06_lenet5", "A1_fast_training_on_a_cpu"):
        built = [("lenet5_modern", models.lenet5_modern)]
        if notebook == "06_lenet5":
            built.append(("lenet5_classic", models.lenet5_classic))
    elif notebook == "07_alexnet":
        built = [(f"alexnet_{P.model}", lambda: models.alexnet_for_profile(P.model, input_shape=(P.crop_size, P.crop_size, 3)))]
    elif notebook == "08_vgg16":
        config = P.experiment_configs[-1]  # the deepest configuration of the equal-time experiments
        built = [(f"vgg16_{P.model}", lambda: models.vgg_for_profile(P.model, width=P.width, dropout=P.dropout)),
                 (f"vgg_{config}_experiment", lambda: models.vgg_from_config(
                     config.removesuffix("-5x5"), (32, 32, 3), 10, width=P.experiment_width, head="small",
                     batch_norm=True))]
    elif notebook == "09_vgg_captcha":
        built = [(f"vgg_captcha_{P.model}", lambda: models.captcha_for_profile(P.model))]
    elif notebook == "10_mini_vgg":
        built = [("mini_vgg_v1", models.mini_vgg_v1)]
        if (P.better_model, P.better_width) != ("v1", 1.0):  # the better recipe's network, when it is another
            built.append((f"mini_vgg_{P.better_model}_width{P.better_width:g}",
                          lambda: models.mini_vgg.mini_vgg(P.better_model, width=P.better_width)))
    else:  # 11_inception
        built = [("googlenet" if P.model == "paper" else "inception_small", lambda: models.inception_for_profile(P.model, width=P.width))]
    return [Network(notebook, name, build, P.batch_size) for name, build in built]


def _random_batches(model, batch_size: int, seed: int = 0) -> tf.data.Dataset:
    """One batch of random images and integer labels for every output of ``model``, repeated."""
    rng = np.random.default_rng(seed)
    images = rng.random((batch_size, *model.input_shape[1:]), dtype=np.float32)
    labels = tuple(rng.integers(0, int(out.shape[-1]), size=batch_size) for out in model.outputs)
    return tf.data.Dataset.from_tensors((images, labels if len(labels) > 1 else labels[0])).repeat()


def _device_memory(reset: bool = False) -> float | None:
    """Peak memory of the first GPU in MiB since the last reset (None without a GPU)."""
    if not tf.config.list_physical_devices("GPU"):
        return None
    if reset:
        tf.config.experimental.reset_memory_stats("GPU:0")
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


def check_network(network: Network, steps: int = 20, batch_size: int | None = None) -> StepCheck:
    """Build ``network`` where the session trains, compile it with Adam, time ``steps`` training steps.

    Example:
        >>> net = networks("06_lenet5", "smoke")[0]
        >>> check = check_network(net, steps=2, batch_size=4)
        >>> check.model, check.input_shape, check.steps, check.step_seconds > 0
        ('lenet5_modern', (32, 32, 1), 2, True)
    """
    batch = batch_size or network.batch_size
    clear_session()
    _device_memory(reset=True)
    start = time.perf_counter()
    model = current().build(network.build)
    outputs = len(model.outputs)
    with model.distribute_strategy.scope():
        model.compile(keras.optimizers.Adam(1e-3), ["sparse_categorical_crossentropy"] * outputs
                      if outputs > 1 else "sparse_categorical_crossentropy")
    build_seconds = time.perf_counter() - start
    costs = training.measure_training_costs(model, _random_batches(model, batch), batch, batches=steps)
    check = StepCheck(network.notebook, network.model, model.count_params(), tuple(model.input_shape[1:]), batch, steps,
                      batch / costs.images_per_second, costs.images_per_second, build_seconds + costs.fixed_seconds,
                      _device_memory())
    del model
    clear_session()
    return check


def check_networks(profile: str, steps: int = 20, notebooks: Sequence[str] = TRAINING_NOTEBOOKS,
                   batch_size: int | None = None, record: bool = True) -> list[StepCheck]:
    """:func:`check_network` for every network the ``notebooks`` train in ``profile``; print and record them.

    A network that does not fit in memory is reported (its error's first line) and the check goes on.
    """
    checks, failures = [], {}
    for notebook in notebooks:
        for network in networks(notebook, profile):
            try:
                check = check_network(network, steps, batch_size)
            except (tf.errors.ResourceExhaustedError, MemoryError) as error:
                failures[f"{notebook}/{network.model}"] = str(error).splitlines()[0][:200]
                print(f"{notebook:<28} {network.model:<28} did not fit: {failures[f'{notebook}/{network.model}']}")
                clear_session()
                continue
            checks.append(check)
            memory = "n/a (CPU)" if check.peak_device_mib is None else f"{check.peak_device_mib:,.0f} MiB"
            print(f"{notebook:<28} {network.model:<28} batch {check.batch_size:>4}  {check.step_seconds * 1e3:>9.1f} ms/step"
                  f"  {check.images_per_second:>10,.0f} images/s  peak {memory}")
    if record:
        results.record_benchmark("gpu_check", {
            "machine": device_name(), "profile": profile, "steps": steps,
            "mixed_precision": keras.mixed_precision.global_policy().name,
            "networks": [asdict(c) for c in checks], "did_not_fit": failures,
        }, profile=profile)
    return checks


def device_name() -> str:
    """The GPU's name as TensorFlow reports it (``'NVIDIA H100 80GB HBM3'``), else ``'CPU'``."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
