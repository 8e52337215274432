"""Recorded results: one JSON file per training run, ``results/<profile>/<name>.json``.

The comparison notebook and the README read these files; no result is ever typed in by hand.
Classroom-profile results are committed; smoke results stay out of git.

A run that was cut short (stop button, time budget) or trained on a synthetic stand-in is not a
result: :func:`record` writes it to ``results/<profile>/incomplete/<name>.json`` instead (a folder
git ignores), and :func:`load_results` leaves it out unless asked. Files of schema 1 (before
``schema_version``, ``data_source`` and ``interrupted`` were recorded) still load.

Usage at the end of a training run::

    record("lenet5_modern", model=model, dataset="mnist", train_size=60000, test_size=10000,
           epochs=3, batch_size=128, test_accuracy=0.991, train_seconds=41.2,
           data_source=data.last_source("mnist"))
    # prints: recorded results/classroom/lenet5_modern.json: test accuracy 99.10 %, 41.2 s of training
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from .folders import show_path
from .session import current, detail
from .sources import SOURCES
from .tables import duration_text, markdown_table
from .tracing import trace

NOTEBOOK_TIMES = "notebook_times"
INCOMPLETE = "incomplete"  # sub-folder for runs that are not results
SCHEMA_VERSION = 2  # 1: no schema_version field; 2: adds data_source, interrupted, stop_reason, macs_complete
# (and, in files written since, images_seen: readers fall back to images_per_second * train_seconds)

# Where a run's data came from, as course_utils.data.load reports it (LoadedData.source, last_source):
# "real file", "real subset" (a file holding part of the dataset) or "synthetic stand-in".
DATA_SOURCES = SOURCES
STOP_INTERRUPTED, STOP_TIME_BUDGET = "interrupted", "time budget"
STOP_REASONS = (STOP_INTERRUPTED, STOP_TIME_BUDGET)


def results_root() -> Path:
    """Return the results folder of the session: ``COURSE_RESULTS_DIR``, else ``results/`` of the
    repository checkout this package lives in, else ``./results``."""
    return current().settings.results_dir


def results_dir(profile: str | None = None) -> Path:
    """Return ``results/<profile>`` (the session's profile by default)."""
    return results_root() / (profile or current().profile)


SHIPPED = Path(__file__).resolve().parent / "recorded"
"""Where an installed package (a wheel; Colab's first cell) keeps the repository's ``results/``: pyproject.toml
maps the folder there. Absent in a checkout, whose ``results/`` is the session's own folder."""


def recorded_files(profile: str, subfolder: str = "") -> dict[str, Path]:
    """Return ``{file name: path}`` of the recorded JSON files of ``profile`` (in ``subfolder``), read-only.

    The session's results folder first; a file it lacks comes from the copy the installed package ships
    (:data:`SHIPPED`), so a pip or Colab install shows the course's recorded times, runs and benchmarks
    until it records its own of the same name.

    Example:
        >>> sorted(recorded_files("no-such-profile"))
        []
    """
    found: dict[str, Path] = {}
    for folder in (SHIPPED / profile / subfolder, results_dir(profile) / subfolder):
        found.update({path.name: path for path in folder.glob("*.json")})
    return dict(sorted(found.items()))


def check_data_source(data_source: Any) -> str:
    """Return ``data_source`` if it is one of :data:`DATA_SOURCES`, else raise a ValueError saying which are."""
    if data_source not in DATA_SOURCES:
        raise ValueError(
            f"data_source={data_source!r} is not one of {', '.join(repr(d) for d in DATA_SOURCES)}; "
            "say where the training data came from: data.load(...).source, or data.last_source(name) after load"
        )
    return data_source


def incomplete_reasons(entry: dict[str, Any]) -> list[str]:
    """Return why a recorded run is not a result (cut short, synthetic data); empty for a result.

    Schema-1 files, written before these fields existed, have no reasons.

    Example:
        >>> incomplete_reasons({"interrupted": True, "stop_reason": "time budget", "data_source": "real file"})
        ['training was cut short (time budget)']
    """
    reasons = []
    if entry.get("interrupted"):
        reasons.append(f"training was cut short ({entry.get('stop_reason') or 'stopped'})")
    if entry.get("data_source") == "synthetic stand-in":
        reasons.append("it trained on a synthetic stand-in, not the real data")
    return reasons


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
    data_source: str,
    images_per_second: float | None = None,
    images_seen: int | None = None,
    interrupted: bool = False,
    stop_reason: str | None = None,
    extra: dict[str, Any] | None = None,
    profile: str | None = None,
    announce: bool = True,
) -> Path:
    """Write ``results/<profile>/<name>.json`` for a finished training run and return its path.

    ``data_source`` is one of :data:`DATA_SOURCES`. A run that is not a result (``interrupted``,
    with ``stop_reason`` ``"interrupted"`` or ``"time budget"``, or a ``"synthetic stand-in"``) goes
    to ``results/<profile>/incomplete/<name>.json`` instead, and the function says so. Replacing an
    earlier record of the same name is announced with both accuracies.

    Parameters and MACs come from :func:`course_utils.tracing.trace`; device and versions from the
    running TensorFlow. ``images_per_second`` defaults to ``train_size * epochs / train_seconds``;
    ``images_seen`` (training images the run went through, counted with repeats) defaults to
    ``train_size * epochs``, whole passes (a run planned in steps passes its own count).
    """
    if not 0.0 <= test_accuracy <= 1.0:
        raise ValueError(f"test_accuracy is a fraction in [0, 1], got {test_accuracy}")
    if train_seconds <= 0:
        raise ValueError(f"train_seconds must be positive, got {train_seconds}")
    check_data_source(data_source)
    if stop_reason is not None and stop_reason not in STOP_REASONS:
        raise ValueError(f"stop_reason={stop_reason!r} is not one of {STOP_REASONS} (or None for a complete run)")
    if bool(interrupted) != (stop_reason is not None):
        raise ValueError(f"interrupted={interrupted!r} and stop_reason={stop_reason!r} disagree: a run cut short "
                         "has a stop_reason, a complete one has none (pass run.interrupted and run.stop_reason)")
    profile = profile or current().profile
    t = trace(model)
    gpus = tf.config.list_physical_devices("GPU")
    entry = {
        "schema_version": SCHEMA_VERSION,
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
        "images_seen": int(images_seen if images_seen is not None else train_size * epochs),
        "parameters": t.total_params,
        "macs_per_image": t.total_macs,
        # False when some layer's MACs are unknown: macs_per_image then counts the known layers only
        "macs_complete": bool(t.macs_complete),
        "data_source": data_source,
        "interrupted": bool(interrupted),
        "stop_reason": stop_reason,
        "device": f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    if extra:
        entry["extra"] = extra
    reasons = incomplete_reasons(entry)
    folder = results_dir(profile) / INCOMPLETE if reasons else results_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    if reasons and not (folder / ".gitignore").exists():
        (folder / ".gitignore").write_text("# runs that are not results (course_utils.results.record)\n*\n")
    path = folder / f"{name}.json"
    if path.is_file():
        try:
            before = f"{100 * json.loads(path.read_text(encoding='utf-8'))['test_accuracy']:.2f} %"
        except (ValueError, KeyError, TypeError):
            before = "unreadable"
        detail(f"replacing the earlier record {show_path(path)} (test accuracy {before} -> "
              f"{100 * entry['test_accuracy']:.2f} %)")
    path.write_text(json.dumps(entry, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if reasons:
        print(f"NOT RECORDED AS A RESULT: {' and '.join(reasons)}. Written to {show_path(path)} instead, which "
              f"load_results() and the README tables leave out (test accuracy {100 * entry['test_accuracy']:.2f} %).")
    elif announce:  # train_and_record says it in its own one line
        print(f"recorded {show_path(path)}: test accuracy {100 * entry['test_accuracy']:.2f} %, "
              f"{entry['train_seconds']} s of training")
    return path


def load_results(profile: str = "classroom", include_incomplete: bool = False) -> dict[str, dict[str, Any]]:
    """Return every recorded training run of a profile, by name (schema 1 and 2 files alike).

    Only the run files :func:`record` writes count: notebook timings and the benchmark folder do not.
    Runs that are not results (cut short, synthetic data) are left out; with ``include_incomplete``
    they come too, named ``incomplete/<name>``.
    """
    own_incomplete = sorted((results_dir(profile) / INCOMPLETE).glob("*.json")) if include_incomplete else []
    out = {}
    for path in [*recorded_files(profile).values(), *own_incomplete]:
        if path.stem == NOTEBOOK_TIMES:
            continue
        entry = json.loads(path.read_text(encoding="utf-8"))
        if incomplete_reasons(entry) and not include_incomplete:
            continue
        out[f"{INCOMPLETE}/{path.stem}" if path.parent.name == INCOMPLETE else path.stem] = entry
    return out


def notebook_times(profile: str = "classroom") -> dict[str, float]:
    """Return the recorded top-to-bottom run time of each notebook in seconds (``make notebooks``)."""
    return {stem: r["seconds"] for stem, r in notebook_resources(profile).items()}


def time_text(notebook: str, profile: str = "classroom") -> str:
    """Return 'Time: about 10 s (or N min) to run on a 2-core CPU' from the recorded notebook times.

    Below two minutes the time is given in seconds, rounded to 5 s; from two minutes on, in minutes.

    Example:
        >>> time_text("99_not_a_notebook")
        'Time: not recorded yet (run `make notebooks` to record the classroom run time)'
    """
    times = notebook_times(profile)
    if notebook not in times:
        return f"Time: not recorded yet (run `make notebooks` to record the {profile} run time)"
    about = duration_text(times[notebook])
    return f"Time: about {about} to run on a 2-core CPU ({profile} profile, recorded by `make notebooks`)"


def results_table(results: dict[str, dict[str, Any]]) -> str:
    """Return recorded runs as a Markdown table (model, data, accuracy, seconds, parameters, MACs).

    A subset shows as ``dataset (real subset)``; MACs that count known layers only as ``at least N``.
    """
    header = ["run", "dataset (train / test)", "epochs", "test accuracy", "training s", "images/s", "parameters",
              "MACs/image"]
    body = []
    for name, r in results.items():
        source = r.get("data_source")
        data = r["dataset"] + (f" ({source})" if source in ("real subset", "synthetic stand-in") else "")
        macs = f"{r['macs_per_image']:,}" if r.get("macs_complete", True) else f"at least {r['macs_per_image']:,}"
        body.append([name, f"{data} ({r['train_size']:,} / {r['test_size']:,})", str(r["epochs"]),
                     f"{100 * r['test_accuracy']:.2f} %", f"{r['train_seconds']:.1f}", f"{r['images_per_second']:,.0f}",
                     f"{r['parameters']:,}", macs])
    return markdown_table(header, body, numeric=range(2, 8))


def record_benchmark(name: str, figures: dict[str, Any], profile: str | None = None) -> Path:
    """Write ``results/<profile>/benchmarks/<name>.json`` (sorted keys) for a benchmark script; return its path.

    Benchmarks live apart from training runs: :func:`load_results` never reads them.

    Example:
        >>> import tempfile
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"COURSE_RESULTS_DIR": tempfile.mkdtemp()}):
        ...     record_benchmark("demo", {"images_per_second": 12.5}, profile="smoke").name
        written $COURSE_RESULTS_DIR/smoke/benchmarks/demo.json
        'demo.json'
        >>> "COURSE_RESULTS_DIR" in os.environ
        False
    """
    path = results_dir(profile) / "benchmarks" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written {show_path(path)}")
    return path



# --- benchmarks: the machine, ratios measured in one run, the README tables ---------------------------------------

BENCHMARKS = "benchmarks"  # results/<profile>/benchmarks/<name>.json, written by benchmarks/run.py


def ratio(value: float, reference: float) -> float:
    """Return ``value / reference`` rounded to 3 decimals; both measured in the same run on the same machine.

    Example:
        >>> ratio(2760.0, 966.0)
        2.857
    """
    if not reference or reference <= 0 or reference != reference:  # zero, negative or NaN
        raise ValueError(f"the reference figure must be a positive number, got {reference!r}: was it measured?")
    return round(float(value) / float(reference), 3)


def summary_row(figure: str, value: float, unit: str, reference: str, reference_value: float) -> dict[str, Any]:
    """Return one line of a benchmark's ``"summary"``: a figure, its reference from the same run, their ratio.

    Example:
        >>> summary_row("tf.data at 224 px", 2760.0, "images/s", "the classic-models tutorial's generator", 966.0)["ratio"]
        2.857
    """
    return {"figure": figure, "value": value, "unit": unit, "reference": reference,
            "reference_value": reference_value, "ratio": ratio(value, reference_value)}


def load_benchmarks(profile: str = "classroom") -> dict[str, dict[str, Any]]:
    """Return every recorded benchmark of a profile (``results/<profile>/benchmarks/*.json``), by name."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in recorded_files(profile, BENCHMARKS).values()}


def _figure_text(value: float) -> str:
    """A figure with sensible digits: '2,760', '12.5', '0.042'.

    Example:
        >>> _figure_text(2760.4), _figure_text(12.54), _figure_text(0.0423)
        ('2,760', '12.5', '0.042')
    """
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}"
    return f"{value:.3f}"


def benchmarks_table(benchmarks: dict[str, dict[str, Any]]) -> str:
    """Return the benchmarks' summaries as a Markdown table: figure, reference from the same run, ratio, machine.

    Each recorded benchmark lists its ``"summary"`` rows (:func:`summary_row`); one without any
    (written before the suite had summaries) is left out. The machine column names the CPU, its
    cores, the float32 matmul rate measured in the same run and the load average.

    Example:
        >>> fake = {"data": {"date": "2026-11-23", "summary": [summary_row("tf.data", 2760.0, "images/s",
        ...         "generator", 966.0)], "machine": {"cpu": "AMD EPYC", "cores": 2, "matmul_gflops": 123.4,
        ...         "load_average_1min": 1.5}}}
        >>> print(benchmarks_table(fake).splitlines()[-1])
        | data | tf.data | 2,760 images/s | generator: 966 images/s | 2.86 | AMD EPYC, 2 cores, matmul 123 GFLOP/s, load 1.5, 2026-11-23 |
    """
    body = []
    for name, bench in benchmarks.items():
        m = bench.get("machine", {})
        machine = f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
        if m.get("matmul_gflops") is not None:
            machine += f", matmul {_figure_text(m['matmul_gflops'])} GFLOP/s"
        if m.get("load_average_1min") is not None:
            machine += f", load {m['load_average_1min']}"
        machine += f", {bench.get('date', '?')}"
        for row in bench.get("summary", []):
            body.append([name, row["figure"], f"{_figure_text(row['value'])} {row['unit']}",
                         f"{row['reference']}: {_figure_text(row['reference_value'])} {row['unit']}",
                         f"{row['ratio']:.2f}", machine])
    return markdown_table(["benchmark", "figure", "value", "reference (same run)", "ratio", "machine, date"], body,
                          numeric=(2, 4))


def notebook_resources(profile: str = "classroom") -> dict[str, dict[str, Any]]:
    """Return each notebook's recorded run: ``{"seconds": ..., "peak_rss_mib": ... or None}`` (``make notebooks``)."""
    path = recorded_files(profile).get(f"{NOTEBOOK_TIMES}.json")
    if path is None:
        return {}
    return {stem: {"seconds": float(v["seconds"]), "peak_rss_mib": v.get("peak_rss_mib")}
            for stem, v in json.loads(path.read_text(encoding="utf-8")).items()}


def resources_table(profiles_shown: tuple[str, ...] = ("classroom", "smoke")) -> str:
    """Return a Markdown table of each notebook's run time and peak memory (kernel RSS) per profile.

    A notebook not run in a profile, or run before peak memory was recorded, shows ``-``.
    """
    recorded = {p: notebook_resources(p) for p in profiles_shown}
    stems = sorted(set().union(*recorded.values()))
    header = ["notebook"] + [f"{p}: {what}" for p in profiles_shown for what in ("run time", "peak memory")]
    body = []
    for stem in stems:
        cells = []
        for p in profiles_shown:
            r = recorded[p].get(stem)
            cells.append("-" if r is None else f"{duration_text(r['seconds'])}")
            cells.append("-" if r is None or r["peak_rss_mib"] is None else f"{r['peak_rss_mib'] / 1024:.2f} GiB")
        body.append([stem, *cells])
    cells = []  # the whole course: total run time, and the largest peak
    for p in profiles_shown:
        peaks = [r["peak_rss_mib"] for r in recorded[p].values() if r["peak_rss_mib"] is not None]
        cells.append(f"{sum(r['seconds'] for r in recorded[p].values()) / 60:.1f} min in all")
        cells.append(f"at most {max(peaks) / 1024:.2f} GiB" if peaks else "-")
    body.append(["all notebooks", *cells])
    return markdown_table(header, body, numeric=range(1, len(header)))
