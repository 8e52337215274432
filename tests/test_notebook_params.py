"""Notebook parameters: base values plus per-profile differences give exactly the values of before."""

import pytest

from course_utils import profiles

# A frozen copy of NOTEBOOK_PARAMS as commit 212e3b7 wrote it out (every value repeated per profile),
# taken from `git show 212e3b7:course_utils/profiles.py`. The base + overrides table must expand to it.
EXPANDED_AT_212E3B7 = {
    "00_start_here": {
        "smoke": {"sample_images": 8},
        "classroom": {"sample_images": 8},
        "full": {"sample_images": 8},
    },
    "01_images_as_arrays": {  # one photo and a handful of images: the same sizes in every profile
        "smoke": {"photo": "astronaut", "block": 6, "batch_size": 8},
        "classroom": {"photo": "astronaut", "block": 6, "batch_size": 8},
        "full": {"photo": "astronaut", "block": 6, "batch_size": 8},
    },
    "02_convolution": {  # from-scratch convs on a 128-pixel photo; only the kernel learning grows
        "smoke": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                  "learn_images": 16, "learn_side": 16, "learn_steps": 50, "learning_rate": 0.1},
        "classroom": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                      "learn_images": 16, "learn_side": 16, "learn_steps": 150, "learning_rate": 0.1},
        "full": {"photo": "astronaut", "photo_side": 128, "filters": 64, "maps_shown": 16,
                 "learn_images": 64, "learn_side": 32, "learn_steps": 300, "learning_rate": 0.1},
    },
    "03_padding_and_stride": {  # arithmetic only: the same sizes in every profile
        "smoke": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
        "classroom": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
        "full": {"grid_n": 8, "random_cases": 20, "explorer_n": 32, "explorer_k": 5},
    },
    "04_pooling": {  # one photo from scikit-image: the same sizes in every profile
        "smoke": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
        "classroom": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
        "full": {"photo_side": 128, "alexnet_map": 55, "shift": 1},
    },
    # 05 as issue 10 changed it: batch normalization (and its bn_steps) moved to appendix A3
    "05_flatten_dense_dropout": {  # the dropout experiment: a small subset, so overfitting shows
        "smoke": {"dataset": "fashion_mnist", "train_size": 256, "val_size": 256, "epochs": 1, "batch_size": 64,
                  "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200},
        "classroom": {"dataset": "fashion_mnist", "train_size": 1000, "val_size": 2000, "epochs": 40, "batch_size": 64,
                      "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200},
        "full": {"dataset": "fashion_mnist", "train_size": 1000, "val_size": 10000, "epochs": 100, "batch_size": 64,
                 "hidden_units": 512, "dropout_rate": 0.5, "stat_size": 1_000_000, "mean_draws": 200},
    },
    # 06_lenet5 as issue 10 changed it: a validation split and a learning-rate comparison on it
    "06_lenet5": {  # None = the whole MNIST split; the classroom bars are checked only in classroom
        "smoke": {"train_size": 2000, "validation_size": 200, "test_size": 200, "batch_size": 128,
                  "steps_per_execution": 16, "learning_rates": (5e-3, 1e-2), "sweep_epochs": 1,
                  "modern_epochs": 1, "classic_epochs": 1, "classic_distance_scale": 0.1, "check_bars": False},
        "classroom": {"train_size": None, "validation_size": 5000, "test_size": None, "batch_size": 128,
                      "steps_per_execution": 32, "learning_rates": (2e-3, 5e-3, 1e-2), "sweep_epochs": 1,
                      "modern_epochs": 5, "classic_epochs": 5, "classic_distance_scale": 0.1, "check_bars": True},
        "full": {"train_size": None, "validation_size": 5000, "test_size": None, "batch_size": 128,
                 "steps_per_execution": 32, "learning_rates": (2e-3, 5e-3, 1e-2), "sweep_epochs": 3,
                 "modern_epochs": 20, "classic_epochs": 20, "classic_distance_scale": 0.1, "check_bars": False},
    },
    # 07_alexnet as issue 10 changed it: 28 x 28 crops, ReLU vs tanh the paper's way, pooling measured;
    # the pipeline timing moved to A2_input_pipelines_and_memory
    "07_alexnet": {
        "smoke": {
            "train_size": 256, "test_size": 100, "batch_size": 64, "epochs": 1, "model": "small",
            "learning_rate": 1e-3, "crop_size": 28, "act_train_size": 128, "act_epochs": 1,
            "act_target_error": 0.25, "act_learning_rate": 0.02, "pool_train_size": 128, "pool_epochs": 1,
            "pool_seeds": 2,
        },
        "classroom": {
            "train_size": 5000, "test_size": 1000, "batch_size": 64, "epochs": 10, "model": "small",
            "learning_rate": 1e-3, "crop_size": 28, "act_train_size": 2000, "act_epochs": 30,
            "act_target_error": 0.25, "act_learning_rate": 0.02, "pool_train_size": 2000, "pool_epochs": 5,
            "pool_seeds": 2,
        },
        "full": {
            "train_size": None, "test_size": None, "batch_size": 128, "epochs": 30, "model": "paper",
            "learning_rate": 1e-4, "crop_size": 28, "act_train_size": 10000, "act_epochs": 60,
            "act_target_error": 0.25, "act_learning_rate": 0.02, "pool_train_size": 10000, "pool_epochs": 15,
            "pool_seeds": 3,
        },
    },
}

@pytest.mark.parametrize("notebook", sorted(EXPANDED_AT_212E3B7))
@pytest.mark.parametrize("profile", ["smoke", "classroom", "full"])
def test_values_identical_to_the_expanded_table(notebook, profile):
    p = profiles.params(notebook, profile)
    values = {k: v for k, v in vars(p).items() if k != "profile"}
    assert values == EXPANDED_AT_212E3B7[notebook][profile]
    assert list(values) == list(EXPANDED_AT_212E3B7[notebook][profile])  # same order too
    for name, value in values.items():  # 1 and 1.0 compare equal: the types must match as well
        assert type(value) is type(EXPANDED_AT_212E3B7[notebook][profile][name]), (notebook, profile, name)
    assert p.profile == profile


def test_same_notebooks_as_before():
    assert set(profiles.NOTEBOOK_PARAMS) >= set(EXPANDED_AT_212E3B7)


def test_printing_shows_values_and_what_differs_from_base():
    text = str(profiles.params("07_alexnet", "full"))
    assert text.startswith("07_alexnet (full): train_size=None (base 5000), test_size=None (base 1000),")
    assert "epochs=30 (base 10)" in text and "model='paper' (base 'small')" in text
    assert "crop_size=28," in text and "crop_size=28 (" not in text  # same in every profile: no base note
    assert all(len(line) <= 100 for line in text.splitlines())
    classroom = repr(profiles.params("07_alexnet", "classroom"))
    assert "(base" not in classroom and "batch_size=64, epochs=10" in classroom
    assert profiles.params("02_convolution", "smoke").differences() == {"learn_steps": (50, 150)}


def test_a_learner_change_shows_in_the_printout():
    p = profiles.params("06_lenet5", "classroom")
    p.modern_epochs = 2
    assert "modern_epochs=2 (base 5)" in str(p)
    assert "_base" not in vars(p) and "_notebook" not in vars(p)


def test_an_override_without_base_value_is_an_error(monkeypatch):
    table = {"base": {"epochs": 1}, "full": {"epohcs": 3}}
    monkeypatch.setitem(profiles.NOTEBOOK_PARAMS, "98_typo", table)
    with pytest.raises(ValueError, match="sets epohcs without a base value"):
        profiles.params("98_typo", "full")
    assert profiles.params("98_typo", "smoke").epochs == 1
    monkeypatch.setitem(profiles.NOTEBOOK_PARAMS, "98_typo", {"base": {}, "laptop": {}})
    with pytest.raises(ValueError, match="sections"):
        profiles.params("98_typo", "smoke")
