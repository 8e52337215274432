"""The course's exercises, registered for :func:`course_utils.checks.check`, one block per notebook.

Expected answers are computed by the same code the notebooks teach, never typed in twice.

Example:
    >>> from course_utils.checks import check
    >>> check("00.1", "classroom")
    Exercise 00.1: correct (classroom).
"""

from __future__ import annotations

import math

import numpy as np

from . import arithmetic, augmentation, scratch, widgets
from .checks import Exercise, register

# --- 00_start_here -------------------------------------------------------------------------
register(
    Exercise(
        key="00.1",
        question="Which profile runs every notebook with real data in minutes on a 2-core laptop?",
        answer="classroom",
        solution="'classroom': real data, sizes chosen so each notebook finishes in minutes on a CPU; "
        "'smoke' is for CI (tiny data), 'full' for a GPU.",
        mistakes={
            "smoke": "'smoke' uses tiny (possibly synthetic) data so CI finishes in seconds: no real results.",
            "full": "'full' uses the papers' sizes (224-pixel inputs, full data): it needs a GPU.",
        },
    ),
    Exercise(
        key="00.2",
        question="How many bytes does one 28 x 28 MNIST image take as uint8, and as float32?",
        answer=(784, 3136),
        solution="28 * 28 = 784 pixels, one byte each as uint8; float32 takes 4 bytes each: 3,136.",
        mistakes={(784, 784): "float32 takes 4 bytes per pixel, not 1.", (28, 112): "count pixels: 28 * 28."},
    ),
)

# --- 01_images_as_arrays ---------------------------------------------------------------------



_PIXELS_224 = math.prod((224, 224, 3))  # one 224 x 224 RGB image
_WRAPPED = int((np.array([200], dtype=np.uint8) + 100)[0])  # uint8 arithmetic wraps around
register(
    Exercise(
        key="01.1",
        question="A batch of 32 grey CAPTCHA images, each 160 pixels wide and 60 pixels high, in the "
        "layout Keras expects (NHWC): what is the array's shape?",
        answer=(32, 60, 160, 1),
        solution="N, H, W, C: 32 images, 60 rows (height), 160 columns (width), 1 grey channel: "
        "(32, 60, 160, 1). keras.Input(shape=(60, 160, 1)) describes one image; the batch axis is added.",
        mistakes={
            (32, 160, 60, 1): "height comes first: 60 rows, then 160 columns.",
            (60, 160, 1): "that is one image (what input_shape describes); the batch axis comes first.",
            (32, 1, 60, 160): "that is channels-first (NCHW); Keras uses channels-last (NHWC) by default.",
            (32, 60, 160, 3): "grey images have one channel, not three.",
            (32, 60, 160): "Conv2D wants an explicit channel axis, even for one grey channel: add 1 at the end.",
        },
    ),
    Exercise(
        key="01.2",
        question="How many numbers make up one 224 x 224 RGB image, and how many bytes does it take "
        "as float32? Answer (numbers, bytes).",
        answer=(_PIXELS_224, arithmetic.array_bytes(224, 224, 3)),
        solution=f"224 * 224 * 3 = {_PIXELS_224:,} numbers; float32 takes 4 bytes each: "
        f"{arithmetic.array_bytes(224, 224, 3):,} bytes (about 0.6 MB). As uint8 it would be {_PIXELS_224:,} bytes.",
        mistakes={
            (_PIXELS_224, _PIXELS_224): "that is the uint8 size: float32 takes 4 bytes per number.",
            (224 * 224, 224 * 224 * 4): "count the 3 colour channels too.",
            (224 * 224, 224 * 224): "count the 3 colour channels, and 4 bytes per float32 number.",
        },
    ),
    Exercise(
        key="01.3",
        question="In a uint8 NumPy array, a pixel of 200 gets 100 added (`x + 100`). What value does it hold?",
        answer=_WRAPPED,
        solution=f"uint8 holds 0..255 and wraps around modulo 256: (200 + 100) % 256 = {_WRAPPED}. Convert "
        "first (`x.astype(np.float32) / 255`) before doing arithmetic on pixels.",
        mistakes={
            300: "a uint8 cannot hold 300: it keeps only 300 modulo 256.",
            255: "NumPy does not clip (saturate) uint8 arithmetic: it wraps around modulo 256.",
        },
    ),
    Exercise(
        key="01.4",
        question="For the photo (512, 512, 3), what is the shape of `photo[100:164, 200:264, 0]`?",
        answer=(64, 64),
        solution="164 - 100 = 64 rows, 264 - 200 = 64 columns; the integer index 0 picks the red channel and "
        "removes that axis: (64, 64). `photo[100:164, 200:264, 0:1]` would keep it: (64, 64, 1).",
        mistakes={
            (64, 64, 1): "an integer index removes its axis; only a slice such as 0:1 keeps it.",
            (64, 64, 3): "the last index, 0, picks one channel (red).",
            (164, 264): "a slice a:b has b - a elements.",
        },
    ),
)

# --- 02_convolution --------------------------------------------------------------------------

_DEMO_MAP = scratch.correlate2d(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL)
_DEMO_FLIPPED = scratch.correlate2d(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL[::-1, ::-1])
register(
    Exercise(
        key="02.1",
        question="Slide the explorer's 3 x 3 kernel over its 5 x 5 input: what is the feature map's value "
        "at row 1, column 1 (counting from 0)?",
        answer=int(_DEMO_MAP[1, 1]),
        solution=f"The window is rows 1-3, columns 1-3 of the input; multiply it element-wise by the kernel "
        f"and add the nine products: {int(_DEMO_MAP[1, 1])}. The explorer shows it at position 4.",
        mistakes={
            int(_DEMO_FLIPPED[1, 1]): "you flipped the kernel (the textbook convolution); Keras' Conv2D "
            "and this course slide it as it is (cross-correlation).",
            int(_DEMO_MAP[0, 1]): "that is row 0, column 1: rows and columns count from 0.",
            int(_DEMO_MAP[1, 0]): "that is row 1, column 0: rows and columns count from 0.",
        },
    ),
    Exercise(
        key="02.2",
        question="How many parameters has keras.layers.Conv2D(64, 3) on a 224 x 224 x 3 input "
        "(VGG16's first layer)?",
        answer=arithmetic.conv_params(3, 3, 64),
        solution=f"Each of the 64 kernels is 3 x 3 x 3 (it spans all input channels) plus one bias: "
        f"(3*3*3 + 1) * 64 = {arithmetic.conv_params(3, 3, 64):,}. The image size does not matter: weights are shared.",
        mistakes={
            arithmetic.conv_params(3, 3, 64, bias=False): "add one bias per filter.",
            arithmetic.conv_params(3, 1, 64): "that is for a one-channel input (seed 000's grey CAPTCHA): "
            "with RGB each kernel is 3 x 3 x 3.",
            arithmetic.conv_params(3, 1, 64, bias=False): "each kernel spans the 3 input channels, and each filter has a bias.",
            arithmetic.conv_params(3, 3, 64) * 222 * 222: "weights are shared across positions: the image size does not enter.",
        },
    ),
    Exercise(
        key="02.3",
        question="conv2d(x, kernel) with x of shape (8, 32, 32, 3) and a kernel of shape (5, 5, 3, 16), "
        "stride 1, padding 'valid': what is the output shape?",
        answer=(8, arithmetic.conv_output_size(32, 5), arithmetic.conv_output_size(32, 5), 16),
        solution="The batch stays 8; each side becomes 32 - 5 + 1 = 28; the depth is the number of "
        "kernels, 16: (8, 28, 28, 16).",
        mistakes={
            (8, 28, 28, 3): "the output depth is the number of kernels (16), not the input's channels.",
            (8, 32, 32, 16): "'valid' adds no padding, so a 5 x 5 kernel shrinks each side by 4.",
            (8, 27, 27, 16): "the number of positions is n - k + 1 = 28, not n - k.",
            (28, 28, 16): "keep the batch axis: 8 images in, 8 feature-map stacks out.",
        },
    ),
    Exercise(
        key="02.4",
        question="A 1 x 1 convolution takes 256 channels down to 64 (as Inception does before its 3 x 3 "
        "and 5 x 5 branches). How many parameters?",
        answer=arithmetic.conv_params(1, 256, 64),
        solution=f"Each of the 64 filters has 1*1*256 weights and one bias: (256 + 1) * 64 = "
        f"{arithmetic.conv_params(1, 256, 64):,}: the same as a Dense(64) applied to every pixel.",
        mistakes={
            arithmetic.conv_params(1, 256, 64, bias=False): "add one bias per filter.",
            arithmetic.conv_params(1, 1, 64): "a 1 x 1 kernel still spans all 256 input channels.",
        },
    ),
)

# --- 03_padding_and_stride -------------------------------------------------------------------

register(
    Exercise(
        key="03.1",
        question="LeNet's C1 slides a 5 x 5 kernel with stride 1 and no padding over a 32 x 32 image. "
        "What is the side of its output?",
        answer=arithmetic.conv_output_size(32, 5),
        solution=f"floor((32 + 2*0 - 5) / 1) + 1 = {arithmetic.conv_output_size(32, 5)}: a 5-wide window fits at 28 positions.",
        mistakes={
            27: "you forgot the + 1: the first window position counts too (32 - 5 = 27 steps, 28 positions).",
            32: "32 keeps the size: that is 'same' padding (p = 2); LeNet's C1 uses none.",
        },
    ),
    Exercise(
        key="03.2",
        question="AlexNet's conv1 slides an 11 x 11 kernel with stride 4 over a 227 x 227 image, no padding. "
        "Output side?",
        answer=arithmetic.conv_output_size(227, 11, 4),
        solution=f"floor((227 - 11) / 4) + 1 = 216 / 4 + 1 = {arithmetic.conv_output_size(227, 11, 4)}.",
        mistakes={
            arithmetic.conv_output_size(224, 11, 4): "54 is (227 - 11) / 4 without the + 1, and also what a 224 input gives; "
            "the seeds' AlexNet input is 227.",
            57: "you subtracted the stride instead of dividing by it: floor((n - k) / s) + 1.",
        },
    ),
    Exercise(
        key="03.3",
        question="The AlexNet paper says 224 x 224. How many zero pixels in total (before + after, one axis) must "
        "be added to a 224 input for conv1 (k = 11, s = 4) to give 55? Give the smallest number.",
        answer=min(t for t in range(32) if arithmetic.conv_output_size(224 + t, 11, 4) == 55),
        solution="We need floor((224 + t - 11) / 4) + 1 = 55, i.e. 224 + t - 11 >= 216, so t >= 3: three pixels, "
        "an odd number that cannot be split evenly (1 before and 2 after, say). 227 = 224 + 3 is exactly that.",
        mistakes={
            1: "p = 1 on each side is 2 pixels in total: floor((226 - 11) / 4) + 1 = 54.",
            2: "2 pixels give floor((226 - 11) / 4) + 1 = 54; one more is needed.",
            1.5: "p = 1.5 on each side is 3 pixels in total: the question asks for the total, an integer.",
            6: "6 works too (the floor swallows the extra), but 3 is the smallest.",
        },
    ),
    Exercise(
        key="03.4",
        question="Keras, padding='same', 3 x 3 kernel, stride 2, input side 224: how many zero rows go above "
        "and below? Answer (before, after).",
        answer=arithmetic.same_padding(224, 3, 2),
        solution=f"'same' gives ceil(224 / 2) = 112 outputs; they need (112 - 1) * 2 + 3 = 225 rows, one more than "
        f"224. TensorFlow puts the odd row after: {arithmetic.same_padding(224, 3, 2)}.",
        mistakes={
            (1, 1): "(1, 1) is 'same' with stride 1 (or PyTorch's padding=1); with stride 2 only one extra row is needed.",
            (1, 0): "one row is right, but TensorFlow/Keras puts the odd row after (bottom/right), not before.",
            (0, 0): "111 * 2 + 3 = 225 rows are needed for 112 outputs; the input has 224.",
        },
    ),
    Exercise(
        key="03.5",
        question="A 3 x 3 kernel with dilation 2, stride 1, no padding, over a 32 x 32 input: output side?",
        answer=arithmetic.conv_output_size(32, 3, d=2),
        solution=f"A dilated 3 x 3 kernel spans d*(k-1)+1 = 5 pixels: floor((32 - 5) / 1) + 1 = {arithmetic.conv_output_size(32, 3, d=2)}.",
        mistakes={
            30: "30 is the undilated 3 x 3 answer: with dilation 2 the kernel spans 5 pixels.",
            31: "a dilated 3 x 3 kernel spans d*(k-1)+1 = 5 pixels: 32 - 5 + 1.",
        },
    ),
)

# --- 04_pooling ------------------------------------------------------------------------------
def _after_pools(n: int, times: int, padding: str) -> int:
    for _ in range(times):
        n = arithmetic.pool_output_size(n, 2, 2, padding)
    return n


register(
    Exercise(
        key="04.1",
        question="AlexNet's second pooling (3 x 3 windows, stride 2) receives a 27 x 27 map. Output side?",
        answer=arithmetic.pool_output_size(27, 3, 2),
        solution=f"floor((27 - 3) / 2) + 1 = {arithmetic.pool_output_size(27, 3, 2)}. Seed 003 writes (57 - 3) / 2 + 1 = 13, a slip: "
        f"that expression is {(57 - 3) // 2 + 1}; the input of this pooling is 27, not 57.",
        mistakes={
            (57 - 3) // 2 + 1: "that is seed 003's expression (57 - 3) / 2 + 1: the map entering this pooling is 27 x 27.",
            14: "14 is ceil(27 / 2), what padding='same' would give; AlexNet pools without padding.",
            12: "12 = (27 - 3) / 2: you forgot the + 1.",
        },
    ),
    Exercise(
        key="04.2",
        question="Seed 000's CAPTCHA network pools a 60 x 160 map five times with 2 x 2 windows, stride 2, "
        "padding='same'. What is (height, width) after the five poolings?",
        answer=(_after_pools(60, 5, "same"), _after_pools(160, 5, "same")),
        solution="'same' rounds up: 60 -> 30 -> 15 -> 8 -> 4 -> 2 and 160 -> 80 -> 40 -> 20 -> 10 -> 5, so (2, 5).",
        mistakes={
            (_after_pools(60, 5, "valid"), _after_pools(160, 5, "valid")): "that is 'valid' (rounding down: 15 -> 7); "
            "with 'same' the output is ceil(n / 2): 15 -> 8.",
            (5, 2): "height first, then width: (H, W) as in NHWC.",
            (1.875, 5.0): "sizes are integers: each pooling rounds up with 'same'.",
        },
    ),
    Exercise(
        key="04.3",
        question="A Dense(10) layer follows a 7 x 7 x 64 feature map. How many parameters does it have after "
        "GlobalAveragePooling2D (instead of Flatten)?",
        answer=arithmetic.dense_params(64, 10),
        solution=f"GAP leaves one number per channel: 64 inputs, so (64 + 1) * 10 = {arithmetic.dense_params(64, 10)}. After "
        f"Flatten it would be (7*7*64 + 1) * 10 = {arithmetic.dense_params(7 * 7 * 64, 10):,}.",
        mistakes={
            arithmetic.dense_params(7 * 7 * 64, 10): "that is the Flatten head: GAP averages each 7 x 7 map to one number.",
            640: "don't forget the 10 biases: (64 + 1) * 10.",
        },
    ),
    Exercise(
        key="04.4",
        question="2 x 2 max pooling with stride 2 and padding='valid' on a 55 x 55 map: how many input pixels "
        "are never inside any window?",
        answer=55 * 55 - (2 * arithmetic.pool_output_size(55, 2, 2)) ** 2,
        solution=f"{arithmetic.pool_output_size(55, 2, 2)} windows per axis cover {2 * arithmetic.pool_output_size(55, 2, 2)} rows and columns; the last row "
        f"and column are dropped: 55*55 - 54*54 = {55 * 55 - 54 * 54} pixels. "
        "`course_utils.scratch.coverage_count(55, 2, 2)` counts them too.",
        mistakes={
            0: "55 is odd: 27 windows of 2 cover 54 rows; row 55 (and column 55) is never seen.",
            55: "both the last row and the last column are dropped (their corner counted once): 55 + 54.",
            110: "the corner pixel belongs to the last row and the last column: count it once (109).",
        },
    ),
)

# --- 05_flatten_dense_dropout ----------------------------------------------------------------



def _captcha_flatten_05() -> int:
    """Numbers per image after seed 000's five 2 x 2 'same' poolings of a 60 x 160 x 1 input, 512 maps."""
    h, w = 60, 160
    for _ in range(5):
        h, w = arithmetic.pool_output_size(h, 2, 2, "same"), arithmetic.pool_output_size(w, 2, 2, "same")
    return h * w * 512


def _close_05(given, expected) -> bool:
    """True when given is a number or tuple of numbers within 1e-6 of expected."""
    given_t = given if isinstance(given, tuple) else (given,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    try:
        return len(given_t) == len(expected_t) and all(abs(g - e) <= 1e-6 for g, e in zip(given_t, expected_t))
    except TypeError:
        return False


def _moving_mean_after_one_step_05() -> float:
    x = np.full((8, 1), 10.0)  # a batch whose mean is 10
    _, moving_mean, _ = scratch.batch_norm(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1),
                                              training=True, momentum=0.99)
    return round(float(moving_mean[0]), 10)


def _kept_and_inference_05(value: float = 3.0, rate: float = 0.4) -> tuple[float, float]:
    x = np.array([[value]])
    kept = scratch.dropout(x, rate, training=True, mask=np.array([[True]]))
    return round(float(kept[0, 0]), 10), float(scratch.dropout(x, rate, training=False)[0, 0])


register(
    Exercise(
        key="05.1",
        question="Seed 000's CAPTCHA network ends its convolutions with 512 feature maps of 2 x 5 (after the five "
        "poolings of exercise 04.2). How many numbers per image does Flatten hand to the first Dense layer?",
        answer=_captcha_flatten_05(),
        solution=f"Flatten multiplies out every axis but the batch: 2 * 5 * 512 = {_captcha_flatten_05():,}.",
        mistakes={
            10: "2 * 5 = 10 counts positions only: every position holds 512 channel values.",
            512: "512 is the number of maps; each map has 2 * 5 positions.",
            60 * 160: "that is the input image; Flatten comes after five poolings and 13 convolutions.",
        },
    ),
    Exercise(
        key="05.2",
        question="Seed 000 puts Dense(4096) right after that Flatten. How many parameters does this one layer have?",
        answer=arithmetic.dense_params(_captcha_flatten_05(), 4096),
        solution=f"(n_in + 1) * n_out = ({_captcha_flatten_05():,} + 1) * 4096 = "
        f"{arithmetic.dense_params(_captcha_flatten_05(), 4096):,}: one weight per input and one bias, per unit.",
        mistakes={
            _captcha_flatten_05() * 4096: "that forgets the 4096 biases: each unit has n_in weights plus one bias.",
            _captcha_flatten_05() * 4097: "the bias belongs to the output units: (n_in + 1) * n_out, not n_in * (n_out + 1).",
            arithmetic.dense_params(7 * 7 * 512, 4096): "that is VGG16's 224-pixel fc1 (7 x 7 x 512 inputs); this input is 2 x 5 x 512.",
        },
    ),
    Exercise(
        key="05.3",
        question="Dropout(0.4) as in seed 000. A unit outputs 3.0. What does the Dropout layer output for it "
        "(a) in training, when this unit is kept, and (b) at inference? Answer (training_kept, inference).",
        answer=_kept_and_inference_05(),
        solution="Keras uses inverted dropout: kept values are divided by the keep probability 1 - 0.4 = 0.6 during "
        "training, 3.0 / 0.6 = 5.0, so that the expected output stays 3.0; at inference the layer does nothing: 3.0.",
        mistakes={
            (3.0, 3.0): "a kept value is scaled by 1 / (1 - rate) in training; otherwise the average output would shrink.",
            (5.0, 5.0): "at inference Dropout is the identity: the scaling was already done during training.",
            (3.0, 1.8): "that is the original dropout of the AlexNet paper (scale by 1 - rate at test time); "
            "Keras scales during training instead, so inference needs no change.",
            (1.2, 3.0): "multiply by 1 / (1 - rate) = 1 / 0.6, not by the rate 0.4.",
        },
        compare=_close_05,
    ),
    Exercise(
        key="05.4",
        question="A BatchNormalization layer (Keras defaults: momentum 0.99, moving mean starts at 0) sees one "
        "training batch whose mean, for some channel, is 10. What is that channel's moving mean afterwards?",
        answer=_moving_mean_after_one_step_05(),
        solution="Keras: moving = moving * momentum + batch_mean * (1 - momentum) = 0 * 0.99 + 10 * 0.01 = 0.1. "
        "That is why a freshly started model predicts badly in inference mode: the moving statistics need many "
        "steps to catch up.",
        mistakes={
            9.9: "that is PyTorch's convention (momentum = weight of the new value); Keras' momentum is the weight of the old value.",
            10: "the moving mean moves only (1 - momentum) = 1 % of the way towards the batch mean per step.",
            0: "a training step does update the moving statistics (inference steps do not).",
        },
        compare=_close_05,
    ),
    Exercise(
        key="05.5",
        question="BatchNormalization after a Dense(256) layer: how many parameters does it have in all, and how "
        "many of them are trainable? Answer (total, trainable).",
        answer=(4 * 256, 2 * 256),
        solution="Per channel: gamma and beta (trained by gradient descent) and the moving mean and variance "
        "(updated by the moving average, not by gradients): 4 * 256 = 1024 in all, 2 * 256 = 512 trainable.",
        mistakes={
            (512, 512): "the moving mean and variance are parameters too (saved with the model), just not trainable: 4 per channel.",
            (1024, 1024): "the moving statistics are not trained by gradient descent: only gamma and beta are trainable.",
            (1024, 0): "gamma (scale) and beta (shift) are learned: 2 per channel are trainable.",
        },
    ),
)

# --- 06_lenet5 -------------------------------------------------------------------------------

_LENET_RBF_DISTANCES = (41.0, 3.5, 60.2, 12.0, 88.1, 35.3, 70.4, 9.8, 51.5, 22.6)

register(
    Exercise(
        key="06.1",
        question="How many parameters would C3 have if each of its 16 maps read all 6 S2 maps (no connection table)?",
        answer=arithmetic.conv_params(5, 6, 16),
        solution="A full 5x5 convolution from 6 maps to 16: (5*5*6+1)*16 = 2,416, that is 900 more than "
        "LeNet's 1,516; the table also breaks the symmetry between maps (each sees a different mix).",
        mistakes={
            2400: "each of the 16 maps also has a bias: (5*5*6+1)*16.",
            1516: "that is C3 with LeNet's partial table; the question asks for full connection.",
            156: "that is C1 (one input map); C3 reads 6 maps with 16 filters.",
        },
    ),
    Exercise(
        key="06.2",
        question="Without padding MNIST to 32x32, what side would S4's feature maps have (28 -> C1 -> S2 -> C3 -> S4)?",
        answer=arithmetic.pool_output_size(arithmetic.conv_output_size(arithmetic.pool_output_size(arithmetic.conv_output_size(28, 5), 2), 5), 2),
        solution="28-5+1 = 24, /2 = 12, 12-5+1 = 8, /2 = 4: S4 would be 4x4, too small for C5's 5x5 kernel. "
        "Padding by 2 keeps strokes near the border away from the edge and gives 5x5 at S4.",
        mistakes={
            5: "5 is the side with the padded 32x32 input; start from 28.",
            6: "a 5x5 'valid' convolution removes 4 pixels (n - k + 1), not 2.",
            1: "that would be C5's side; the question stops at S4.",
        },
    ),
    Exercise(
        key="06.3",
        question="How many connections would C3 have with full connection (every map reads all 6 S2 maps)?",
        answer=arithmetic.conv_params(5, 6, 16) * arithmetic.conv_output_size(14, 5) ** 2,
        solution="(5*5*6+1) weights and bias per unit, 16 maps of 10x10 units: 2,416 * 100 = 241,600, against "
        "151,600 with the table: the table cut C3's work by 37 %.",
        mistakes={
            151600: "that is C3 with LeNet's partial table.",
            2416: "that counts parameters; every one of the 10x10 positions uses them again: multiply by 100.",
            240000: "each unit's bias is a connection too: (5*5*6+1) per unit.",
        },
    ),
    Exercise(
        key="06.4",
        question=f"An image's RBF outputs for digits 0-9 are {_LENET_RBF_DISTANCES}. Which digit does LeNet-5 predict?",
        answer=min(range(10), key=lambda d: _LENET_RBF_DISTANCES[d]),
        solution="The RBF units measure squared distances to each digit's code: the smallest distance wins, "
        "3.5 for digit 1.",
        mistakes={
            4: "4 has the largest output; RBF outputs are distances, so the smallest one wins.",
            7: "9.8 is small but not the smallest.",
        },
    ),
)

# --- 07_alexnet ------------------------------------------------------------------------------

register(
    Exercise(
        key="07.1",
        question="What side length does AlexNet's conv1 (96 kernels 11x11, stride 4, no padding) give on a 224 x 224 input?",
        answer=arithmetic.conv_output_size(224, k=11, s=4),
        solution="floor((224 - 11) / 4) + 1 = floor(53.25) + 1 = 54. Only 227 (or 224 padded by 2 on each side) gives 55.",
        mistakes={
            55: "55 is what a 227-pixel input gives: (227 - 11) / 4 + 1. Redo it with 224.",
            54.25: "the output size is a whole number: floor((224 - 11) / 4) + 1.",
            53: "you forgot the + 1 (the first window position).",
        },
    ),
    Exercise(
        key="07.2",
        question="How many parameters does fc6 of the paper's AlexNet hold (input: the 6 x 6 x 256 map of pool5)?",
        answer=arithmetic.dense_params(6 * 6 * 256, 4096),
        solution="6*6*256 = 9,216 inputs; (9,216 + 1) * 4,096 = 37,752,832: 60 % of the whole network in one layer.",
        mistakes={
            arithmetic.dense_params(6 * 6 * 256, 4096, bias=False): "add the 4,096 biases: (9,216 + 1) * 4,096.",
            arithmetic.dense_params(5 * 5 * 256, 4096): "that is seed 003's fc6 (224 input, 5 x 5 map); the paper's map is 6 x 6.",
        },
    ),
    Exercise(
        key="07.3",
        question="How many parameters does conv2 (256 kernels 5x5 over 96 maps) save when split into two groups?",
        answer=arithmetic.conv_params(5, 96, 256) - arithmetic.conv_params(5, 96, 256, groups=2),
        solution="One tower: (5*5*96 + 1) * 256 = 614,656. Two groups: (5*5*48 + 1) * 256 = 307,456. Saved: 307,200 "
        "(half of the weights; the biases stay).",
        mistakes={
            arithmetic.conv_params(5, 96, 256, groups=2): "that is the grouped layer's count; the question asks for the difference.",
            arithmetic.conv_params(5, 96, 256) // 2: "halve the weights only: the 256 biases are kept in both versions.",
        },
    ),
    Exercise(
        key="07.4",
        question="How many bytes do CIFAR-10's 50,000 training images take resized to 224 x 224 x 3 as float32?",
        answer=arithmetic.array_bytes(50000, 224, 224, 3),
        solution="50,000 * 224 * 224 * 3 * 4 = 30,105,600,000 bytes (28.0 GiB): more than most machines' memory, "
        "hence resizing per batch.",
        mistakes={
            arithmetic.array_bytes(60000, 224, 224, 3): "that counts the 10,000 test images too (seed 003's 60,000).",
            arithmetic.array_bytes(50000, 224, 224, 3, dtype_bytes=1): "float32 takes 4 bytes per value, not 1.",
            arithmetic.array_bytes(50000, 32, 32, 3): "that is the 32 x 32 size; resize to 224 first.",
        },
    ),
    Exercise(
        key="07.5",
        question="How many different 224 x 224 crops, counting horizontal flips, does one 256 x 256 image give?",
        answer=augmentation.crops_per_image(256, 224),
        solution="A 224 window fits at 256 - 224 + 1 = 33 positions per axis: 33 * 33 * 2 = 2,178. The often quoted "
        "(256 - 224)^2 * 2 = 2,048 forgets the + 1.",
        mistakes={
            2048: "(256 - 224)^2 * 2 forgets the + 1: a 224 window fits at 33 positions per axis, not 32.",
            1089: "count the horizontal flips too (times 2).",
        },
    ),
)
