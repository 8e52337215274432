"""The grader of "build this Keras block" exercises (course_utils.checks.grade_keras_block), used by 08.5 and 11.5.

Layers are matched to the reference's by role (branch, then place in it), never by the shape of their weights: GoogLeNet's
module 4c has two 1 x 1 convolutions of 128 filters on the same input, which a match by shape confuses. Each typical
mistake gets its diagnosis from the grader itself (no exercise-specific text), on small inputs so that every test is fast.
"""

import inspect

import keras
import pytest
from keras import layers

from course_utils import checks
from course_utils.checks import BLOCK_TOL, check_keras_block, grade_keras_block
from course_utils.exercises import nb08_vgg16 as nb08
from course_utils.exercises import nb11_inception as nb11
from course_utils.models.inception import GOOGLENET_MODULES, inception_module
from course_utils.models.vgg import vgg_block

VGG_CASES = [((12, 10, 3), (8, 2)), ((9, 9, 4), (6, 3))]
MODULE = [((9, 11, 10), (6, 5, 7, 3, 4, 2))]  # six different filter counts, odd sides, height != width
# (input channels of the paper's module, its row of Table 1) on a small 5 x 6 grid
PAPER_MODULES = {"3a": 192, "4c": 512, "5b": 832}


def not_yet(message: str, name: str) -> str:
    """The diagnosis of a 'not yet' message: the text after the case's description."""
    assert message.startswith(f"{name}: not yet: "), message
    return message.split("): ", 1)[1]


# --- a few blocks, right and wrong -------------------------------------------------------------------------


def conv(x, filters, k=3, activation="relu", padding="same", strides=1):
    return layers.Conv2D(filters, k, strides=strides, padding=padding, activation=activation)(x)


def branches(x, c1, c3r, c3, c5r, c5, pp, *, pool=None, activation="relu"):
    pool = pool or layers.MaxPooling2D(3, strides=1, padding="same")
    return [conv(x, c1, 1, activation), conv(conv(x, c3r, 1, activation), c3, 3, activation),
            conv(conv(x, c5r, 1, activation), c5, 5, activation), conv(pool(x), pp, 1, activation)]


def module_written_otherwise(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    """A right module: reductions created first, separate ReLU layers and ops, keras.ops.concatenate, axis=3."""
    r3, r5 = layers.Conv2D(c3_reduce, 1)(x), layers.Conv2D(c5_reduce, 1, activation="relu")(x)
    pooled = layers.MaxPooling2D((3, 3), strides=(1, 1), padding="same")(x)
    b1 = layers.ReLU()(layers.Conv2D(c1, (1, 1))(x))
    b3 = layers.Conv2D(c3, 3, padding="same", activation="relu")(keras.ops.relu(r3))
    b5 = layers.Conv2D(c5, 5, padding="same", activation="relu")(r5)
    bp = layers.Activation("relu")(layers.Conv2D(pool_proj, 1)(pooled))
    return keras.ops.concatenate([b1, b3, b5, bp], axis=3)


SHARED_POOL = layers.MaxPooling2D(2)  # one layer object called on every case's input: each call is a node of its own


def vgg_block_written_otherwise(x, filters, convs):
    """A right VGG block: a Sequential of Conv2D + ReLU pairs, a Dropout (nothing at inference), a pooling layer reused."""
    stack = []
    for _ in range(convs):
        stack += [layers.Conv2D(filters, (3, 3), padding="same"), layers.ReLU()]
    return SHARED_POOL(layers.Dropout(0.5)(keras.Sequential(stack)(x)))


# --- right answers ------------------------------------------------------------------------------------------


def test_the_reference_solutions_of_08_5_and_11_5_are_correct():
    ok, message = nb08.grade_vgg_block(vgg_block)
    assert ok and message.startswith("Exercise 08.5: correct: output shapes and parameter counts equal the reference's "
                                     "on 3 inputs, and with its weights the outputs agree (max |diff| = 0.0e+00")
    ok, message = nb11.grade_inception_module(inception_module)
    assert ok and message.endswith(f"(max |diff| = 0.0e+00, tolerance {BLOCK_TOL:.0e}).")
    assert message.startswith("Exercise 11.5: correct: output shapes and parameter counts equal the reference's on 2 inputs")


@pytest.mark.parametrize("module", sorted(PAPER_MODULES))
def test_googlenets_own_modules_are_correct_for_the_11_5_checker(monkeypatch, module):
    # 4c's #1x1 and #3x3 reduce are both 128 filters: two kernels of shape (1, 1, 512, 128), the case a
    # match by weight shape got wrong (it graded the reference solution itself as a mistake)
    if module == "4c":
        assert GOOGLENET_MODULES["4c"][0] == GOOGLENET_MODULES["4c"][1] == 128
    monkeypatch.setattr(nb11, "MODULE_CASES", (((5, 6, PAPER_MODULES[module]), GOOGLENET_MODULES[module]),))
    for learner in (inception_module, module_written_otherwise):
        ok, message = nb11.grade_inception_module(learner)
        assert ok, message
        assert message.startswith("Exercise 11.5: correct: output shapes and parameter counts equal the reference's on 1 input,")


def test_4c_with_its_two_like_convolutions_swapped_is_wrong(monkeypatch):
    monkeypatch.setattr(nb11, "MODULE_CASES", (((5, 6, 512), GOOGLENET_MODULES["4c"]),))

    def b3_before_b1(x, *counts):
        b1, b3, b5, bp = branches(x, *counts)
        return layers.Concatenate()([b3, b1, b5, bp])

    ok, message = nb11.grade_inception_module(b3_before_b1)
    assert not ok and "the branches are concatenated in another order: yours are the reference's branches 2, 1, 3, 4" in message


def test_other_correct_writings_are_correct():
    assert grade_keras_block("vgg", vgg_block_written_otherwise, vgg_block, VGG_CASES)[0]
    assert grade_keras_block("module", module_written_otherwise, inception_module, MODULE)[0]
    assert nb08.grade_vgg_block(vgg_block_written_otherwise)[0]


def test_batch_normalization_weights_are_copied_too():
    def with_bn(x, *counts):
        return inception_module(x, *counts, batch_norm=True, name="mine")

    def reference(x, *counts):
        return inception_module(x, *counts, batch_norm=True)

    ok, message = grade_keras_block("bn module", with_bn, reference, MODULE)
    assert ok, message


def test_the_tolerance_is_stated_once_and_can_be_changed():
    assert BLOCK_TOL == 1e-5
    assert "tolerance 1e-05" in grade_keras_block("vgg", vgg_block, vgg_block, VGG_CASES)[1]
    assert "tolerance 1e-03" in grade_keras_block("vgg", vgg_block, vgg_block, VGG_CASES, tol=1e-3)[1]


# --- typical mistakes, each with the grader's own diagnosis -------------------------------------------------


def vgg_like(x, filters, convs, *, k=3, padding="same", activation="relu", extra=0, pool=True, pool_layer=None,
             first_filters=None):
    for i in range(convs + extra):
        x = conv(x, first_filters if (first_filters and i == 0) else filters, k, activation, padding)
    return (pool_layer or layers.MaxPooling2D(2))(x) if pool else x


@pytest.mark.parametrize("options, diagnosis", [
    ({"pool": False}, "a 2 x 2 MaxPooling2D is missing at the end."),
    ({"extra": 1}, "your layer 3, a 3 x 3 Conv2D (8 filters), is one too many."),
    ({"extra": -1}, "a 3 x 3 Conv2D (8 filters) is missing after your layer 1 (3 x 3 Conv2D (8 filters))."),
    ({"k": 5}, "your layers 1 and 2 (5 x 5 Conv2D (8 filters)): kernel 5 x 5, should be 3 x 3."),
    ({"first_filters": 16}, "your layer 1 (3 x 3 Conv2D (16 filters)): 16 filters, should be 8."),
    ({"activation": None}, "your layers 1 and 2 (3 x 3 Conv2D (8 filters)): no activation, should be relu."),
    ({"activation": "sigmoid"}, "your layers 1 and 2 (3 x 3 Conv2D (8 filters)): activation sigmoid, should be relu."),
    ({"pool_layer": layers.AveragePooling2D(2)},
     "your layer 3 is a 2 x 2 AveragePooling2D where the reference has a 2 x 2 MaxPooling2D."),
])
def test_a_chain_of_layers_gets_its_diagnosis(options, diagnosis):
    ok, message = grade_keras_block("vgg", lambda x, f, c: vgg_like(x, f, c, **options), vgg_block, VGG_CASES)
    assert not ok and not_yet(message, "vgg") == diagnosis


def test_wrong_padding_gives_the_shape_and_the_reason():
    ok, message = grade_keras_block("vgg", lambda x, f, c: vgg_like(x, f, c, padding="valid"), vgg_block, VGG_CASES)
    assert not ok
    assert message == ("vgg: not yet: output (4, 3, 8) and 808 parameters, should be (6, 5, 8) and 808 (input (12, 10, 3), "
                       "filters=8, convs=2): your layers 1 and 2 (3 x 3 Conv2D (8 filters)): padding='valid', should be 'same'.")
    # in a module the branches no longer fit together: the error of Concatenate, and what it needs
    valid_pool = layers.MaxPooling2D(3, strides=1)
    ok, message = grade_keras_block("module", lambda x, *c: layers.Concatenate()(branches(x, *c, pool=valid_pool)),
                                    inception_module, MODULE)
    assert not ok and message.startswith("module: your function raised ValueError: A `Concatenate` layer requires")
    assert "every branch must keep the height and width (padding='same', stride 1)" in message


def test_the_stride_of_a_layer_is_compared():
    ok, message = grade_keras_block(
        "vgg", lambda x, f, c: layers.MaxPooling2D(2)(conv(conv(x, f, strides=2), f)), vgg_block, VGG_CASES)
    assert not ok and not_yet(message, "vgg") == "your layer 1 (3 x 3 Conv2D (8 filters)): strides 2 x 2, should be 1 x 1."


def concatenated(order):
    return lambda x, *c: layers.Concatenate()([branches(x, *c)[i] for i in order])


@pytest.mark.parametrize("learner, diagnosis", [
    (concatenated([2, 0, 3, 1]), "the branches are concatenated in another order: yours are the reference's branches "
     "3, 1, 4, 2, in that order (the reference's order: 1: 1 x 1 Conv2D (6 filters); 2: 1 x 1 Conv2D (5 filters) -> "
     "3 x 3 Conv2D (7 filters); 3: 1 x 1 Conv2D (3 filters) -> 5 x 5 Conv2D (4 filters); 4: 3 x 3 MaxPooling2D -> "
     "1 x 1 Conv2D (2 filters))."),
    (concatenated([0, 1, 2]), "1 branch missing: 3 x 3 MaxPooling2D -> 1 x 1 Conv2D (2 filters) (the reference has 4: "),
    (lambda x, *c: layers.Concatenate()(branches(x, *c[:2], c[2] + 1, *c[3:])),
     "in branch 2 of 4 (the reference's 1 x 1 Conv2D (5 filters) -> 3 x 3 Conv2D (7 filters)): your layer 2 "
     "(3 x 3 Conv2D (8 filters)): 8 filters, should be 7."),
    (lambda x, *c: layers.Concatenate()([*branches(x, *c)[:3], layers.MaxPooling2D(3, 1, "same")(x)]),
     "in branch 4 of 4 (the reference's 3 x 3 MaxPooling2D -> 1 x 1 Conv2D (2 filters)): a 1 x 1 Conv2D (2 filters) "
     "is missing at the end."),
    (lambda x, *c: layers.Concatenate()([conv(x, c[0], 1), conv(x, c[2], 3), *branches(x, *c)[2:]]),
     "in branch 2 of 4 (the reference's 1 x 1 Conv2D (5 filters) -> 3 x 3 Conv2D (7 filters)): a 1 x 1 Conv2D "
     "(5 filters) is missing at the start."),
    (lambda x, *c: layers.Concatenate()([*branches(x, *c)[:3], layers.MaxPooling2D(3, 1, "same")(conv(x, c[5], 1))]),
     "in branch 4 of 4 (the reference's 3 x 3 MaxPooling2D -> 1 x 1 Conv2D (2 filters)): the right layers in another "
     "order: yours are 1 x 1 Conv2D (2 filters) -> 3 x 3 MaxPooling2D, the reference's 3 x 3 MaxPooling2D -> 1 x 1 "
     "Conv2D (2 filters)."),
    (lambda x, *c: layers.Concatenate()(branches(x, *c, activation=None)),
     "in branch 1 of 4 (the reference's 1 x 1 Conv2D (6 filters)): your layer 1 (1 x 1 Conv2D (6 filters)): no "
     "activation, should be relu (and 3 other branches differ)."),
    (lambda x, *c: layers.Add()(branches(x, 4, 5, 4, 3, 4, 4)),
     "your branches are joined with Add, the reference's with Concatenate."),
    (lambda x, *c: conv(x, sum(c[i] for i in (0, 2, 4, 5)), 3),
     "the block should end by joining 4 branches with Concatenate; yours is one chain, 3 x 3 Conv2D (19 filters)."),
])
def test_a_module_gets_its_diagnosis(learner, diagnosis):
    ok, message = grade_keras_block("module", learner, inception_module, MODULE)
    assert not ok and not_yet(message, "module").startswith(diagnosis), message


def test_an_exercise_s_own_diagnosis_comes_first():
    ok, message = nb11.grade_inception_module(concatenated([3, 0, 1, 2]))
    assert not ok and nb11.MODULE_MISTAKES[nb11._pool_branch_first] in message
    assert message.endswith("(Stuck? `course_utils.solution('11.5')` shows a worked solution.)")
    # a diagnosis is matched by the layers built, whatever the writing: no ReLU, written as separate layers
    ok, message = grade_keras_block("vgg", lambda x, f, c: vgg_like(x, f, c, activation=None), vgg_block, VGG_CASES,
                                    [("no ReLU at all", nb08._no_relu)])
    assert not ok and not_yet(message, "vgg") == "no ReLU at all."


# --- stubs and other slips -----------------------------------------------------------------------------------


def stub(x, *args):
    raise NotImplementedError


def test_a_stub_is_not_implemented_yet(capsys):
    not_yet_text = "not implemented yet: replace `raise NotImplementedError` with your code and run the cell again."
    assert grade_keras_block("my block", stub, vgg_block, VGG_CASES) == (False, f"my block: {not_yet_text}")
    check_keras_block("my block", stub, vgg_block, VGG_CASES)
    assert capsys.readouterr().out == f"my block: {not_yet_text}\n"
    assert nb08.grade_vgg_block(stub) == (False, f"Exercise 08.5: {not_yet_text}")
    assert nb11.grade_inception_module(stub) == (False, f"Exercise 11.5: {not_yet_text}")
    nb11.check_inception_module(stub)
    assert capsys.readouterr().out == f"Exercise 11.5: {not_yet_text}\n"


def test_none_a_non_tensor_an_error_and_an_unrelated_output():
    assert grade_keras_block("b", lambda x, f, c: None, vgg_block, VGG_CASES)[1] == (
        "b: your function returned None: did you forget `return`?")
    assert grade_keras_block("b", lambda x, f, c: x.shape, vgg_block, VGG_CASES)[1] == (
        "b: your function returned a tuple; return the tensor the last layer gave you.")
    ok, message = grade_keras_block("b", lambda x, f, c: layers.Conv2D(f, 3)(x, bad=1), vgg_block, VGG_CASES)
    assert not ok and message.startswith("b: your function raised TypeError")
    assert "(input (12, 10, 3), filters=8, convs=2). Call it on keras.Input((12, 10, 3)) in a cell of its own" in message
    ok, message = grade_keras_block("b", lambda x, f, c: keras.Input((6, 5, 8)), vgg_block, VGG_CASES)
    assert not ok and message.startswith("b: the output does not come from the input x (input (12, 10, 3)")


def test_checks_has_one_block_grader_and_the_exercises_use_it():
    for module in (nb08, nb11):
        source = inspect.getsource(module)
        assert "grade_keras_block(" in source and "1e-5" not in source and "set_weights" not in source
    assert checks.BLOCK_TOL == BLOCK_TOL
