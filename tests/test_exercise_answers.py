"""Hand-worked answers for the exercises whose only other check grades the library's own ``.answer``.

For these 20 exercises (issue 24 says 19 but lists 20) ``.answer`` is computed by the code the
notebook teaches, so grading it with itself (tests/test_exercises.py) cannot fail. Here each answer
is worked out from the question alone and written as a literal, with the arithmetic beside it: a
wrong formula in the library, or a question changed without its answer, fails. Each also has a
typical wrong value that must be graded wrong.
"""

import keras
import pytest

import course_utils
from course_utils import exercises, models
from course_utils.comparison import build_shapes_only

exercises.load_all()

# key: (the hand-worked answer, a typical wrong answer)
HAND_WORKED = {
    # NHWC: 16 images, 50 rows (height), 200 columns (width), 3 channels; wrong: width before height
    "01.1": ((16, 50, 200, 3), (16, 200, 50, 3)),
    # 224 * 224 * 3 = 150,528 numbers, * 4 bytes (float32) = 602,112 bytes; wrong: 1 byte each (uint8)
    "01.2": ((150_528, 602_112), (150_528, 150_528)),
    # uint8 wraps modulo 256: (30 - 50) % 256 = -20 + 256 = 236; wrong: the signed -20
    "01.3": (236, -20),
    # rows 148 - 100 = 48, columns 280 - 200 = 80, the integer index 0 drops the channel axis; wrong: keeping it
    "01.4": ((48, 80), (48, 80, 1)),
    # window rows 1-3, columns 2-4 of DEMO_IMAGE: [1, 9, 8] . [0, 1, 2] = 25, [1, 8, 9] . [-1, 0, 1] = 8,
    # [2, 9, 9] . [-2, -1, 0] = -13: 25 + 8 - 13 = 20; wrong: the flipped kernel gives -25 - 8 + 13 = -20
    "02.1": (20, -20),
    # (3 * 3 * 64 + 1) * 128 = 577 * 128 = 73,856; wrong: no biases, 576 * 128 = 73,728
    "02.2": (73_856, 73_728),
    # batch 4, 40 - 7 + 1 = 34 rows, 30 - 5 + 1 = 26 columns, 10 kernels; wrong: the input's 3 channels as depth
    "02.3": ((4, 34, 26, 10), (4, 34, 26, 3)),
    # with: (256 + 1) * 32 = 8,224 plus (5 * 5 * 32 + 1) * 96 = 801 * 96 = 76,896, total 85,120;
    # without: (5 * 5 * 256 + 1) * 96 = 6,401 * 96 = 614,496; wrong: the 1 x 1 layer forgotten
    "02.4": ((85_120, 614_496), (76_896, 614_496)),
    # 28 - 5 + 1 = 24, / 2 = 12, 12 - 5 + 1 = 8, / 2 = 4; wrong: 5, the side from the padded 32 x 32 input
    "06.2": (4, 5),
    # F6 equals digit 0's code; squared distances to the ten codes: 0, 148, 124, 100, 152, 104, 40, 144, 100, 64.
    # scale 1: softmax(-d) gives digit 0 1/(1 + e^-40 + ...) = 1.000; scale 0.1: 1/(1 + e^-4 + e^-6.4 + e^-10 + ...)
    # = 0.980; wrong: the two swapped
    "06.4": ((1.0, 0.98), (0.98, 1.0)),
    # floor((256 - 11) / 4) + 1 = floor(61.25) + 1 = 62; wrong: 61, without the + 1
    "07.1": (62, 61),
    # pool 2/2: 32 -> 16 -> 8 -> 4, flatten 4 * 4 * 96 = 1,536, (1,536 + 1) * 512 = 786,944; wrong: no biases 786,432
    "07.2": (786_944, 786_432),
    # one tower (3 * 3 * 384 + 1) * 256 = 3,457 * 256 = 884,992; four groups (3 * 3 * 96 + 1) * 256 = 865 * 256
    # = 221,440; saved 884,992 - 221,440 = 663,552; wrong: 221,440, the grouped layer's own count
    "07.3": (663_552, 221_440),
    # pad 4: 40 pixels, a 32 window at 9 positions per axis, 9 * 9 * 2 = 162; wrong: (40 - 32)^2 * 2 = 128
    "07.4": (162, 128),
    # 'same' pooling rounds up: 50 -> 25 -> 13 -> 7 -> 4 -> 2, 200 -> 100 -> 50 -> 25 -> 13 -> 7: 2 * 7 * 512 = 7,168;
    # wrong: rounding down ('valid'), 50 -> 25 -> 12 -> 6 -> 3 -> 1, 200 -> ... -> 12 -> 6: 1 * 6 * 512 = 3,072
    "09.1": (7_168, 3_072),
    # one head (4,096 + 1) * 36 = 147,492; six heads 6 * 147,492 = 884,952; wrong: one head
    "09.2": (884_952, 147_492),
    # 0.99^2 = 0.9801, 0.99^3 = 0.970299, 0.99^6 = 0.970299^2 = 0.94148..., to 4 decimals; wrong: 1 - 6 * 0.01 = 0.94
    "09.3": (0.9415, 0.94),
    # 10,000 * 227 * 227 * 3 * 4 = 10,000 * 51,529 * 12 = 6,183,480,000 bytes; wrong: 1 byte a value, 1,545,870,000
    "A2.1": (6_183_480_000, 1_545_870_000),
    # weight, gradient and Adam's two moments: 46,787,978 * 4 copies * 4 bytes = 748,607,648; wrong: weights alone
    # 46,787,978 * 4 = 187,151,912
    "A2.2": (748_607_648, 187_151_912),
    # (a) taking turns: 1 / (1/300 + 1/100) = 300 / 4 = 75 images/s; (b) overlapped: min(300, 100) = 100;
    # wrong: (100, 100), as if taking turns cost nothing
    "A2.3": ((75, 100), (100, 100)),
}


def test_every_self_graded_exercise_is_here():
    keys = [f"01.{i}" for i in range(1, 5)] + [f"02.{i}" for i in range(1, 5)] + ["06.2", "06.4"] + [
        f"07.{i}" for i in range(1, 5)] + [f"09.{i}" for i in range(1, 4)] + [f"A2.{i}" for i in range(1, 4)]
    assert len(keys) == 20 and sorted(HAND_WORKED) == sorted(keys)
    for key in keys:
        exercises.exercise(key)  # KeyError if an exercise was renumbered


@pytest.mark.parametrize("key", sorted(HAND_WORKED))
def test_the_hand_worked_answer_is_graded_correct(key):
    answer, _ = HAND_WORKED[key]
    ok, message = exercises.grade(key, answer)
    assert ok is True, f"the library's answer to {key} is not the hand-worked {answer!r}: {message}"


@pytest.mark.parametrize("key", sorted(HAND_WORKED))
def test_a_typical_wrong_answer_is_graded_wrong(key):
    _, wrong = HAND_WORKED[key]
    ok, message = exercises.grade(key, wrong)
    assert ok is False and "not yet" in message, message


def test_09_3_accepts_four_decimals_and_no_fewer():
    assert exercises.grade("09.3", 0.94148)[0] is True
    assert exercises.grade("09.3", 0.941)[0] is False  # 0.0005 off: three decimals are not enough


def _params(layer, input_shape) -> int:
    layer.build(input_shape)
    return layer.count_params()


def test_the_counts_asked_about_are_what_keras_builds():
    """The questions describe real layers: Keras counts what was worked out by hand above."""
    assert _params(keras.layers.Conv2D(128, 3, padding="same"), (None, 112, 112, 64)) == 73_856  # 02.2
    reduce, branch = keras.layers.Conv2D(32, 1), keras.layers.Conv2D(96, 5)  # 02.4
    assert _params(reduce, (None, 28, 28, 256)) + _params(branch, (None, 28, 28, 32)) == 85_120
    assert _params(keras.layers.Conv2D(96, 5), (None, 28, 28, 256)) == 614_496
    grouped = _params(keras.layers.Conv2D(256, 3, groups=4), (None, 13, 13, 384))  # 07.3
    assert _params(keras.layers.Conv2D(256, 3), (None, 13, 13, 384)) - grouped == 663_552
    assert 6 * _params(keras.layers.Dense(36), (None, 4096)) == 884_952  # 09.2
    model = build_shapes_only(models.alexnet_small, pool=(2, 2))  # 07.2: the variant the question names
    assert model.get_layer("fc6").count_params() == 786_944
    assert [model.get_layer(n).output.shape[1] for n in ("pool1", "pool2", "pool5")] == [16, 8, 4]
    course_utils.clear_session()  # nothing initializes the shapes-only variables later
