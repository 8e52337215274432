"""Recorded results: one JSON file per training run, ``results/<profile>/<name>.json``.

The comparison notebook and the README read these files; no result is ever typed in by hand.
Classroom-profile results are committed; smoke results stay out of git.

Usage at the end of a training run::

    record("lenet5_modern", model=model, dataset="mnist", train_size=60000, test_size=10000,
           epochs=3, batch_size=128, test_accuracy=0.991, train_seconds=41.2)
    # prints: recorded results/classroom/lenet5_modern.json: test accuracy 99.10 %, 41.2 s of training
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import profiles

NOTEBOOK_TIMES = "notebook_times"


def results_root() -> Path:
    """Return the results folder: ``COURSE_RESULTS_DIR``, else ``results/`` of the repository
    checkout this package lives in, else ``./results``."""
    if os.environ.get("COURSE_RESULTS_DIR"):
        return Path(os.environ["COURSE_RESULTS_DIR"]).expanduser()
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "notebooks").is_dir():
        return repo / "results"
    return Path.cwd() / "results"


def results_dir(profile: str | None = None) -> Path:
    """Return ``results/<profile>`` (the active profile by default)."""
    return results_root() / (profile or profiles.profile_name())


def record(
    name: str,
    *,
    model,
    dataset: str,
    train_size: int,
    test_size: int,
    epochs: int,
    batch_size: int,
    test_accuracy: float,
    train_seconds: float,
    images_per_second: float | None = None,
    extra: dict[str, Any] | None = None,
    profile: str | None = None,
) -> Path:
    """Write ``results/<profile>/<name>.json`` for a finished training run and return its path.

    Parameters and MACs come from :func:`course_utils.tracing.trace`; device and versions from the
    running TensorFlow. ``images_per_second`` defaults to ``train_size * epochs / train_seconds``.
    """
    import keras

    from .tracing import trace

    tf = profiles.import_tensorflow_quietly()
    if not 0.0 <= test_accuracy <= 1.0:
        raise ValueError(f"test_accuracy is a fraction in [0, 1], got {test_accuracy}")
    if train_seconds <= 0:
        raise ValueError(f"train_seconds must be positive, got {train_seconds}")
    profile = profile or profiles.profile_name()
    t = trace(model)
    gpus = tf.config.list_physical_devices("GPU")
    entry = {
        "name": name,
        "profile": profile,
        "model": model.name,
        "dataset": dataset,
        "train_size": int(train_size),
        "test_size": int(test_size),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "test_accuracy": round(float(test_accuracy), 5),
        "train_seconds": round(float(train_seconds), 2),
        "images_per_second": round(
            float(images_per_second if images_per_second is not None else train_size * epochs / train_seconds), 1
        ),
        "parameters": t.total_params,
        "macs_per_image": t.total_macs,
        "device": f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    if extra:
        entry["extra"] = extra
    folder = results_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(entry, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"recorded {path.relative_to(results_root().parent) if path.is_relative_to(results_root().parent) else path}: "
        f"test accuracy {100 * entry['test_accuracy']:.2f} %, {entry['train_seconds']} s of training"
    )
    return path


def load_results(profile: str = "classroom") -> dict[str, dict[str, Any]]:
    """Return every recorded training run of a profile, by name.

    Only the run files :func:`record` writes count: notebook timings and the benchmark folder do not.
    """
    folder = results_dir(profile)
    out = {}
    for path in sorted(folder.glob("*.json")):
        if path.stem == NOTEBOOK_TIMES:
            continue
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def notebook_times(profile: str = "classroom") -> dict[str, float]:
    """Return the recorded top-to-bottom run time of each notebook in seconds (``make notebooks``)."""
    path = results_dir(profile) / f"{NOTEBOOK_TIMES}.json"
    if not path.is_file():
        return {}
    return {k: float(v["seconds"]) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def time_text(notebook: str, profile: str = "classroom") -> str:
    """Return 'about N min on a 2-core CPU (classroom profile)' from the recorded notebook times.

    Example:
        >>> time_text("99_not_a_notebook")
        'Time: not recorded yet (run `make notebooks` to record the classroom run time)'
    """
    times = notebook_times(profile)
    if notebook not in times:
        return f"Time: not recorded yet (run `make notebooks` to record the {profile} run time)"
    minutes = max(1, round(times[notebook] / 60))
    return f"Time: about {minutes} min to run on a 2-core CPU ({profile} profile, recorded by `make notebooks`)"


def results_table(results: dict[str, dict[str, Any]]) -> str:
    """Return recorded runs as a Markdown table (model, data, accuracy, seconds, parameters, MACs)."""
    lines = [
        "| run | dataset (train / test) | epochs | test accuracy | training s | images/s | parameters | MACs/image |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['dataset']} ({r['train_size']:,} / {r['test_size']:,}) | {r['epochs']} | "
            f"{100 * r['test_accuracy']:.2f} % | {r['train_seconds']:.1f} | {r['images_per_second']:,.0f} | "
            f"{r['parameters']:,} | {r['macs_per_image']:,} |"
        )
    return "\n".join(lines)
