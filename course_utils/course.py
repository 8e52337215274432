"""The course map: every notebook in order, with its title and what it teaches.

Example:
    >>> NOTEBOOKS[0].stem, NOTEBOOKS[6].title
    ('00_start_here', 'LeNet-5, layer by layer')
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Notebook:
    stem: str
    title: str
    teaches: str

    @property
    def filename(self) -> str:
        return f"{self.stem}.ipynb"


NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook("00_start_here", "Start here", "check the set-up, run profiles, the three datasets"),
    Notebook("01_images_as_arrays", "Images as arrays", "pixels, channels, NHWC batches, input_shape"),
    Notebook("02_convolution", "Convolution", "sliding kernels, feature maps, weight sharing, learning a kernel"),
    Notebook("03_padding_and_stride", "Padding and stride", "output-size arithmetic, 'valid' vs 'same', dilation"),
    Notebook("04_pooling", "Pooling", "max and average pooling, overlap, translation, global pooling"),
    Notebook("05_flatten_dense_dropout", "Flatten, dense, dropout", "dense layers, parameter counts, inverted dropout"),
    Notebook("06_lenet5", "LeNet-5, layer by layer", "the 1998 network, classic and modern, on MNIST"),
    Notebook("07_alexnet", "AlexNet", "ReLU, dropout, overlapping pooling, LRN, augmentation, ten-crop testing"),
    Notebook("08_vgg16", "VGG16 and its family", "3x3 stacks, receptive fields, configurations A-E"),
    Notebook("09_vgg_captcha", "A VGG that reads CAPTCHAs", "one network, four softmax heads"),
    Notebook("10_mini_vgg", "Mini-VGG on CIFAR-10", "batch normalization in small VGGs"),
    Notebook("11_inception", "Inception / GoogLeNet", "multi-branch modules, 1x1 bottlenecks, v1-v4"),
    Notebook("12_model_comparison", "Comparing the classics", "accuracy, parameters, MACs and time, side by side"),
    # Appendices: engineering detail that is not the lesson, linked from the lessons that need it.
    Notebook("A1_fast_training_on_a_cpu", "Appendix: fast training on a CPU",
             "XLA, steps per execution, warm-up and cosine schedules, where the time goes"),
    Notebook("A2_input_pipelines_and_memory", "Appendix: input pipelines and memory",
             "generator vs tf.data (float32, uint8) vs in-model resize, sustained throughput, memory preflight"),
    Notebook("A3_batch_normalization", "Appendix: batch normalization",
             "batch norm from scratch in both modes, moving statistics, where it goes in a block"),
)


def notebooks_dir() -> Path:
    """Return the repository's ``notebooks/`` folder (when running from a checkout)."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def present() -> list[Notebook]:
    """Return the notebooks of the map that exist in this checkout (later ones arrive over time)."""
    folder = notebooks_dir()
    return [nb for nb in NOTEBOOKS if (folder / nb.filename).is_file()]


def show_source(obj) -> None:
    """Display the source of a course_utils function or class, syntax-highlighted, in a notebook.

    The notebooks show the code that really runs this way, never a second copy that could drift.
    Outside IPython it prints the source.

    Usage in a notebook::

        course_utils.show_source(course_utils.arithmetic.conv_output_size)
    """
    source = inspect.getsource(obj)
    try:
        from IPython import get_ipython
        from IPython.display import Code, display
    except ImportError:
        print(source)
        return
    if get_ipython() is None:
        print(source)
    else:
        display(Code(source, language="python"))
