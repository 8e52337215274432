"""Quiet, but never blind: the stderr capture around TensorFlow's import and the GPU fallback note."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_utils import quiet, session

ROOT = Path(__file__).resolve().parents[1]

# Start-up lines copied from real runs: TensorFlow 2.21 CPU build on x86-64 with TF_CPP_MIN_LOG_LEVEL=0,
# and a GPU build's start-up (tensorflow/tensorflow#62075, openxla/xla#20803).
NOISE_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795414227.324132    3974 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate "
    "compiler flags.",
    "2024-01-01 10:00:00.000000: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on. You may see "
    "slightly different numerical results due to floating-point round-off errors from different computation "
    "orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "E0000 00:00:1751448150.986970   10148 cuda_dnn.cc:8579] Unable to register cuDNN factory: Attempting to "
    "register factory for plugin cuDNN when one has already been registered",
    "2023-10-09 13:36:23.355674: E tensorflow/compiler/xla/stream_executor/cuda/cuda_fft.cc:609] Unable to register "
    "cuFFT factory: Attempting to register factory for plugin cuFFT when one has already been registered",
    "E0000 00:00:1751448150.991431   10148 cuda_blas.cc:1407] Unable to register cuBLAS factory: Attempting to "
    "register factory for plugin cuBLAS when one has already been registered",
    "W0000 00:00:1751448151.003754   10148 computation_placer.cc:177] computation placer already registered. "
    "Please check linkage and avoid linking the same target more than once.",
    "2023-12-05 09:29:20.002737: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT Warning: Could "
    "not find TensorRT",
    "2025-02-09 09:37:34.496341: I external/local_xla/xla/stream_executor/cuda/cuda_executor.cc:901] successful "
    "NUMA node read from SysFS had negative value (-1), but there must be at least one NUMA node, so returning "
    "NUMA node zero.",
    "2026-12-07 12:54:17.949270: E external/local_xla/xla/stream_executor/cuda/cuda_platform.cc:51] failed call to "
    "cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",  # full wheel, no driver (Colab CPU)
    "I0000 00:00:1796648456.570908   17077 service.cc:152] XLA service 0x7f60ac05cfa0 initialized for platform Host "
    "(this does not guarantee that XLA will be used). Devices:",
    "I0000 00:00:1796648456.570990   17077 service.cc:160]   StreamExecutor device (0): Host, Default Version",
    "I0000 00:00:1796648458.073539   17077 device_compiler.h:188] Compiled cluster using XLA!  This line is logged "
    "at most once for the lifetime of the process.",
]

# Lines a learner must see: the GPU build failing to use the GPU, or anything else going wrong.
REAL_LINES = [
    "W tensorflow/core/common_runtime/gpu/gpu_device.cc:2343] Cannot dlopen some GPU libraries. Please make sure "
    "the missing libraries mentioned above are installed properly if you would like to use GPU.",
    "W tensorflow/tsl/platform/default/dso_loader.cc:66] Could not load dynamic library 'libcudnn.so.9'; dlerror: "
    "libcudnn.so.9: cannot open shared object file: No such file or directory",
    "I tensorflow/tsl/cuda/cudart_stub.cc:28] Could not find cuda drivers on your machine, GPU will not be used.",
    "E external/local_xla/xla/stream_executor/cuda/cuda_driver.cc:152] failed call to cuInit: "
    "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected",
    "Fatal Python error: Segmentation fault",
]


def test_each_collected_noise_line_is_dropped_and_each_real_line_kept():
    for line in NOISE_LINES:
        assert quiet._without_noise(line + "\n") == "", line
    for line in REAL_LINES:
        assert quiet._without_noise(line + "\n") == line + "\n", line


def test_capture_drops_noise_and_replays_the_rest(capfd):
    with quiet.quiet_stderr():
        os.write(2, (NOISE_LINES[3] + "\n").encode())
        os.write(2, (REAL_LINES[1] + "\n").encode())
        assert capfd.readouterr().err == ""  # captured while inside the block
    assert capfd.readouterr().err == REAL_LINES[1] + "\n"


def test_capture_replays_everything_when_the_block_raises(capfd):
    with pytest.raises(ImportError, match="libcudart"):
        with quiet.quiet_stderr():
            os.write(2, (NOISE_LINES[0] + "\n" + REAL_LINES[0] + "\n").encode())
            raise ImportError("libcudart.so.12: cannot open shared object file")
    assert capfd.readouterr().err == NOISE_LINES[0] + "\n" + REAL_LINES[0] + "\n"


def test_course_debug_passes_everything_through(capfd, monkeypatch):
    monkeypatch.setenv("COURSE_DEBUG", "1")
    with quiet.quiet_stderr():
        os.write(2, (NOISE_LINES[1] + "\n").encode())
        assert capfd.readouterr().err == NOISE_LINES[1] + "\n"  # already there: not captured
    assert capfd.readouterr().err == ""


def test_capture_left_by_a_crashed_process_is_replayed_once(capfd, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(quiet, "_alive", lambda pid: pid != 4242)
    (tmp_path / "course_utils-stderr-4242-abc.log").write_text("F0000 check failed: CUDA driver too old\n")
    (tmp_path / "course_utils-stderr-4343-def.log").write_text("still starting\n")  # a live process's capture
    with quiet.quiet_stderr():
        pass
    err = capfd.readouterr().err
    assert err == "course_utils: process 4242 died while starting TensorFlow; it had written:\n" \
                  "F0000 check failed: CUDA driver too old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course_utils-stderr-4343-def.log"]


def test_importing_course_utils_is_silent_although_tensorflow_logs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DEBUG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # TensorFlow logs everything: only the noise filter keeps stderr empty
    env["TMPDIR"] = str(tmp_path)  # a private temp folder: no other process's leftover capture is replayed
    command = [sys.executable, "-c", "import course_utils"]
    loud = subprocess.run(command, capture_output=True, text=True, env={**env, "COURSE_DEBUG": "1"}, cwd=ROOT)
    quiet = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert loud.returncode == 0 and "cpu_feature_guard" in loud.stderr  # x86-64 CPU build: there is noise
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert not list(tmp_path.glob("course_utils-stderr-*"))  # the capture file was removed


@pytest.mark.parametrize(
    ("gpus", "nvidia_smi", "cuda_build", "expected"),
    [
        (["GPU:0"], "/usr/bin/nvidia-smi", True, None),
        ([], None, True, None),
        ([], "/usr/bin/nvidia-smi", True, "COURSE_DEBUG=1"),
        ([], "/usr/bin/nvidia-smi", False, "CPU build"),
    ],
)
def test_gpu_fallback_note(monkeypatch, gpus, nvidia_smi, cuda_build, expected):
    tf = quiet.import_tensorflow_quietly()
    monkeypatch.setattr(session.shutil, "which", lambda name: nvidia_smi if name == "nvidia-smi" else None)
    monkeypatch.setattr(tf.sysconfig, "get_build_info", lambda: {"is_cuda_build": cuda_build})
    note = session.gpu_fallback_note(gpus)
    if expected is None:
        assert note is None
    else:
        assert expected in note and "\n" not in note


def test_setup_prints_the_note_after_the_banner(monkeypatch, capsys):
    monkeypatch.setattr(session, "_gpus", lambda: [])
    monkeypatch.setattr(session.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    run = session.setup(seed=1)
    lines = capsys.readouterr().out.splitlines()
    assert run.device == "CPU" and len(lines) == 2
    assert lines[0].startswith("course_utils | profile: smoke | device: CPU") and lines[1].startswith("NOTE:")


def test_clear_session_keeps_the_mixed_precision_policy_that_keras_own_forgets():
    import keras

    from course_utils import clear_session

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.backend.clear_session()  # the trap: Keras' own resets the policy to float32
        assert keras.mixed_precision.global_policy().name == "float32"
        keras.mixed_precision.set_global_policy("mixed_float16")
        clear_session()
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert keras.layers.Dense(2).dtype_policy.name == "mixed_float16"  # what the next model is built with
    finally:
        keras.mixed_precision.set_global_policy("float32")
