"""Notebook 10's mini-VGG: Sucky 2023's two networks counted by hand, their layer order, the registry, the two
recipes, the full-profile path for a couple of steps on a CPU, and the exercises (10.4 against Keras)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import checks, data, exercises, profiles, recipes, schedules
from course_utils.exercises import nb10_mini_vgg as nb10
from course_utils.models import mini_vgg as mv
from course_utils.models import model_info


def _conv(c_in, c_out):
    return (3 * 3 * c_in + 1) * c_out


def _bn(c):
    return 4 * c  # scale, shift, moving mean, moving variance


def _count_by_hand(filters, units, side=32, channels=3, classes=10):
    total, c = 0, channels
    for f in filters:
        total += _conv(c, f) + _bn(f) + _conv(f, f) + _bn(f)
        c = f
    flat = (side // 2 ** len(filters)) ** 2 * c
    return total + (flat + 1) * units + _bn(units) + (units + 1) * classes


def test_parameter_counts_by_hand():
    assert _count_by_hand((32, 64), 512) == 2_171_178  # the MiniVGGNet count printed by the tutorials that use it
    assert mv.mini_vgg("v1").count_params() == _count_by_hand((32, 64), 512)
    assert mv.mini_vgg("v2").count_params() == _count_by_hand((64, 64), 256) == 1_166_026
    assert mv.mini_vgg("v1", input_shape=(64, 64, 3)).count_params() == _count_by_hand((32, 64), 512, side=64)
    assert mv.mini_vgg("v2", width=2.0).count_params() == _count_by_hand((128, 128), 512)


def test_layer_order_and_widths():
    model = mv.mini_vgg("v1")
    names = [layer.name for layer in model.layers]
    assert names[:10] == ["image", "block1_conv1", "block1_relu1", "block1_bn1", "block1_conv2", "block1_relu2",
                          "block1_bn2", "block1_pool", "block1_drop", "block2_conv1"]
    assert names[-7:] == ["flatten", "fc1", "fc1_relu", "fc1_bn", "fc1_drop", "predictions", "softmax"]
    assert model.get_layer("block2_pool").output.shape == (None, 8, 8, 64)
    assert model.get_layer("block1_drop").rate == 0.25 and model.get_layer("fc1_drop").rate == 0.5
    v2 = mv.mini_vgg("v2")
    assert v2.get_layer("block1_conv1").filters == 64 and v2.get_layer("block2_conv2").filters == 64
    assert v2.get_layer("fc1").units == 256 and v2.get_layer("fc1_drop").rate == 0.4
    out = v2(np.zeros((2, 32, 32, 3), "float32"), training=False)
    np.testing.assert_allclose(np.sum(out, axis=1), [1.0, 1.0], rtol=1e-5)


def test_registered_for_notebook_10_and_bad_arguments():
    info = model_info("mini_vgg_v2")
    assert (info.family, info.notebook, info.input_shape) == ("VGG", "10_mini_vgg", (32, 32, 3))
    assert info.build().count_params() == 1_166_026
    assert model_info("mini_vgg_v1").build(num_classes=100).output_shape == (None, 100)
    with pytest.raises(ValueError, match="choose one of v1, v2"):
        mv.mini_vgg("v3")
    with pytest.raises(ValueError, match="too small"):
        mv.mini_vgg("v1", input_shape=(3, 3, 3))


def test_article_recipe_is_sgd_nesterov_at_a_constant_rate():
    recipe = recipes.article_recipe()
    assert isinstance(recipe.optimizer, keras.optimizers.SGD)
    assert float(recipe.optimizer.learning_rate) == pytest.approx(0.01)
    assert recipe.optimizer.momentum == 0.9 and recipe.optimizer.nesterov
    assert recipe.loss.get_config()["label_smoothing"] == 0.0 and recipe.augment is None


def test_better_recipe_settings():
    recipe = recipes.better_recipe(0.08, total_steps=400)
    schedule = recipe.optimizer._learning_rate
    assert isinstance(schedule, schedules.OneCycle)
    assert (schedule.peak_learning_rate, schedule.total_steps) == (0.08, 400)
    assert recipe.optimizer.weight_decay == 5e-4 and recipe.optimizer.nesterov
    assert recipe.loss.get_config()["label_smoothing"] == 0.1
    with pytest.raises(ValueError, match="unknown augmentation"):
        recipes.better_recipe(0.08, 400, augmentation="cutout")


def test_flip_augmentation_flips_whole_images_or_leaves_them():
    images = np.random.default_rng(0).random((64, 4, 5, 3)).astype("float32")
    tf.random.set_seed(0)
    out = np.asarray(recipes.better_recipe(0.1, 10).augment(images))
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 10 < sum(flipped) < 54  # about half of 64 (binomial: outside 10..54 with probability < 1e-7)


def test_full_profile_path_trains_two_steps_on_cpu():
    """The full profile's better recipe (wider v2, crops and flips, one-cycle) for 2 steps on synthetic images,
    with the profile's batch size; a quarter of its width keeps it quick on a CPU."""
    P = profiles.params("10_mini_vgg", "full")
    assert (P.better_model, P.better_width, P.augmentation, P.better_epochs) == ("v2", 2.0, "crop+flip", 20)
    model = mv.mini_vgg(P.better_model, width=P.better_width / 4)
    recipe = recipes.better_recipe(0.1, total_steps=2, augmentation=P.augmentation)
    model.compile(optimizer=recipe.optimizer, loss=recipe.loss, metrics=["accuracy"])
    (x, y), _ = data.synthetic("cifar10", train_size=2 * P.batch_size, test_size=10)
    ds = data.make_dataset(x, keras.utils.to_categorical(y, 10), P.batch_size, shuffle=True, augment=recipe.augment)
    history = model.fit(ds, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    assert int(recipe.optimizer.iterations.numpy()) == 2


# --- exercises ------------------------------------------------------------------------------------


def test_reference_cross_entropy_by_hand_and_against_keras():
    y = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.2, 0.5, 0.3]])
    # smoothing 0.3 over 3 classes: targets (0.1, 0.8, 0.1)
    expected = -(0.1 * np.log(0.2) + 0.8 * np.log(0.5) + 0.1 * np.log(0.3))
    np.testing.assert_allclose(nb10.label_smoothed_cross_entropy(y, p, 0.3), [expected])
    np.testing.assert_allclose(nb10.keras_smoothed_cross_entropy(y, p, 0.3), [expected], rtol=1e-6)


def test_exercise_reference_passes_against_numpy_and_keras():
    ok, message = checks.grade_function("10.4", nb10.label_smoothed_cross_entropy, nb10.label_smoothed_cross_entropy,
                                        nb10.cross_entropy_inputs, keras_fn=nb10.keras_smoothed_cross_entropy,
                                        keras_tol=1e-5, diagnoses=nb10.SMOOTHING_MISTAKES)
    assert ok, message
    assert message.startswith("Exercise 10.4: correct: max |diff| = 0.0e+00 over 3 random inputs") and "against Keras" in message


@pytest.mark.parametrize("index", range(len(nb10.SMOOTHING_MISTAKES)))
def test_exercise_diagnoses_each_mistake(index, capsys):
    text, wrong_fn = nb10.SMOOTHING_MISTAKES[index]
    nb10.check_smoothed_cross_entropy(wrong_fn)
    message = capsys.readouterr().out
    assert message.startswith("Exercise 10.4: not yet: ") and text in message
    assert "(Stuck? `course_utils.solution('10.4')` shows a worked solution.)" in message


def test_exercise_stub(capsys):
    def stub(y_true, y_prob, smoothing):
        raise NotImplementedError

    nb10.check_smoothed_cross_entropy(stub)
    assert capsys.readouterr().out.startswith("Exercise 10.4: not implemented yet")


def test_answers_worked_by_hand():
    assert exercises.exercise("10.1").answer == 2_171_178 + (16 * 16 - 8 * 8) * 64 * 512  # only fc1 grows
    assert exercises.grade("10.2", (0.82, 0.02))[0] and not exercises.grade("10.2", (0.8, 0.022))[0]
    assert exercises.grade("10.3", (0.002, 0.05, 0.025))[0]
    assert not exercises.grade("10.3", (0.0, 0.05, 0.025))[0]


def test_the_bar_asks_for_an_established_gain_of_five_points_in_about_the_same_time():
    from course_utils.noise import seed_comparison

    article = [0.56, 0.55, 0.58, 0.54, 0.53]
    plus = lambda points: [a + points / 100 for a in article]  # noqa: E731
    assert recipes.bar_verdict(seed_comparison(plus(6), article), 1.01).endswith(": met")
    assert recipes.bar_verdict(seed_comparison(plus(4), article), 1.01).endswith("NOT met")  # below +5 points
    assert recipes.bar_verdict(seed_comparison(plus(6), article), 1.06).endswith("NOT met")  # too slow
    assert recipes.bar_verdict(seed_comparison(plus(6)[:3], article[:3]), 1.0).endswith("NOT met")  # 3 seeds: not established
