"""TensorFlow without its start-up noise: a file-descriptor-level stderr filter and a quiet import.

TensorFlow's native libraries write their log lines straight to the process's stderr, past Python,
so a notebook would show a dozen lines of noise on every start. :func:`quiet_stderr` captures file
descriptor 2, drops the lines of :data:`TF_NOISE_PATTERNS` and replays everything else;
:func:`import_tensorflow_quietly` imports TensorFlow under it. ``COURSE_DEBUG=1`` shows everything.

The package imports TensorFlow this way once, in ``course_utils/__init__.py``, before any module
touches it; modules that need ``tf`` then import it normally.

Example:
    >>> with quiet_stderr():
    ...     _ = os.write(2, b"oneDNN custom operations are on.\\n")  # dropped: known noise
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

from . import settings

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
    # XLA's first compilation in a process (jit_compile=True; TensorFlow 2.19 logs it at INFO level, past
    # TF_CPP_MIN_LOG_LEVEL): which platform its service runs on, and that it compiled
    r"XLA service 0x[0-9a-f]+ initialized for platform",
    r"StreamExecutor device \(\d+\): Host, Default Version",
    r"Compiled cluster using XLA!",
    # The full (GPU-capable) wheel on a machine without an NVIDIA driver, as on Colab's CPU runtime: nothing to
    # start, so TensorFlow runs on the CPU, as setup() says ("device: CPU"). Seen with TensorFlow 2.19. A driver
    # that finds no device (CUDA_ERROR_NO_DEVICE) is kept: there a GPU was expected (see setup's GPU note).
    r"failed call to cuInit: .*UNKNOWN ERROR \(303\)",
)
_NOISE = re.compile("|".join(f"(?:{pattern})" for pattern in TF_NOISE_PATTERNS))
# quiet_stderr() captures into <temp dir>/course_utils-stderr-<pid>-<random>.log; a file left by a
# process that died inside the block (a native crash) is replayed by the next quiet_stderr().
_CAPTURE_PREFIX = "course_utils-stderr-"


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
    if settings.debug():
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
    if not settings.debug():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_stderr():
        # the one import inside a function: TensorFlow must load inside the capture, not before it
        import keras  # noqa: F401  (the first Keras import logs too)
        import tensorflow as tf

        tf.zeros((1,))  # the first op loads more native code, which logs again
        tf.config.list_physical_devices()
    return tf
