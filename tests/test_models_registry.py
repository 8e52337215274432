"""The model registry: every course model builds at its native input with its known parameter count."""

import importlib

import pytest

import course_utils
from course_utils import models
from course_utils.comparison import build_shapes_only
from course_utils.models import registry

# Independent figures, one per registered model: the paper's or the seed's count, or worked by hand.
KNOWN_PARAMETERS = {
    # LeCun et al. 1998: 60,000 trainable parameters, plus the RBF layer's 84 * 10 fixed codes
    "lenet5_classic": 60_000 + 840,
    # The classic-models tutorial's listing: 156 + 2,416 + 48,120 + 10,164 + 850
    "lenet5_modern": 61_706,
    # Krizhevsky et al. 2012 as one tower (the paper's "60 million"), pinned in tests/test_alexnet.py
    "alexnet_paper": 62_378_344,
    # conv1 (5*5*3+1)*32 + conv2 (5*5*32+1)*96 + conv3 (3*3*96+1)*128 + conv4 (3*3*128+1)*128
    # + conv5 (3*3*128+1)*96 + fc6 (3*3*96+1)*512 + fc7 (512+1)*512 + fc8 (512+1)*10
    "alexnet_small": 2_432 + 76_896 + 110_720 + 147_584 + 110_688 + 442_880 + 262_656 + 5_130,
    # Simonyan and Zisserman 2015 (Table 2: 138 and 144 million), exact as keras.applications.VGG16/VGG19 count them
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    # 13 bias-free 3 x 3 convolutions at half width, batch norm (4 per channel), fc 1024 -> 256 -> 256 -> 10
    "vgg16_small": 9 * (3 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 2 * 128 * 128 + 128 * 256 + 5 * 256 * 256)
    + 4 * (2 * 32 + 2 * 64 + 3 * 128 + 6 * 256) + 1025 * 256 + 257 * 256 + 257 * 10,
    # The VGG16-CAPTCHA tutorial's CAPTCHA reader without its 4,224 redundant conv biases, worked in tests/test_captcha.py (_hand_count)
    "vgg_captcha": 52_679_784,
    # Szegedy et al. 2015, Table 1's filter counts with biases, worked in tests/test_inception.py (GOOGLENET_BY_HAND)
    "googlenet": 6_998_552,
    # what keras.applications.InceptionV3(weights=None) counts (compared in tests/test_inception.py)
    "inception_v3": 23_851_784,
    # Zhang et al. 2017's small Inception, worked conv by conv in tests/test_inception.py (small_inception_by_hand)
    "inception_small": 1_654_538,
    # Sucky 2023 / MiniVGGNet: the count its tutorials print; v2 worked by hand in tests/test_mini_vgg.py (_count_by_hand)
    "mini_vgg_v1": 2_171_178,
    "mini_vgg_v2": 1_166_026,
}
KNOWN_FACTS = {  # (year, family, native input, notebook)
    "lenet5_classic": (1998, "LeNet", (32, 32, 1), "06_lenet5"),
    "lenet5_modern": (None, "LeNet", (32, 32, 1), "06_lenet5"),
    "alexnet_paper": (2012, "AlexNet", (227, 227, 3), "07_alexnet"),
    "alexnet_small": (None, "AlexNet", (32, 32, 3), "07_alexnet"),
    "vgg16": (2014, "VGG", (224, 224, 3), "08_vgg16"),
    "vgg19": (2014, "VGG", (224, 224, 3), "08_vgg16"),
    "vgg16_small": (None, "VGG", (32, 32, 3), "08_vgg16"),
    "vgg_captcha": (None, "VGG", (60, 160, 1), "09_vgg_captcha"),
    "googlenet": (2014, "Inception", (224, 224, 3), "11_inception"),
    "inception_v3": (2015, "Inception", (299, 299, 3), "11_inception"),
    "inception_small": (None, "Inception", (32, 32, 3), "11_inception"),
    "mini_vgg_v1": (None, "VGG", (32, 32, 3), "10_mini_vgg"),
    "mini_vgg_v2": (None, "VGG", (32, 32, 3), "10_mini_vgg"),
}


def test_every_model_has_a_known_count():
    assert set(models.MODELS) == set(KNOWN_PARAMETERS), "add the new model's published parameter count here"


@pytest.mark.parametrize("name", sorted(KNOWN_PARAMETERS))
def test_builds_at_native_input_with_known_parameter_count(name):
    info = models.model_info(name)
    model = build_shapes_only(info)  # info.build() with weights that have shapes but no values: counts only
    try:
        assert model.input_shape == (None, *info.input_shape)
        assert model.count_params() == KNOWN_PARAMETERS[name]
    finally:
        del model
        course_utils.clear_session()  # nothing initializes the shapes-only variables later
    assert (info.year, info.family, info.input_shape, info.notebook) == KNOWN_FACTS[name]
    assert info.description and info.name == name
    assert name in str(info) and info.family in str(info)


def test_course_order_and_family_filter():
    assert [m.name for m in models.list_models()] == ["lenet5_classic", "lenet5_modern", "alexnet_paper", "alexnet_small",
                                                      "vgg16", "vgg19", "vgg16_small", "vgg_captcha", "mini_vgg_v1",
                                                      "mini_vgg_v2", "googlenet", "inception_v3", "inception_small"]
    assert [m.name for m in models.list_models("LeNet")] == ["lenet5_classic", "lenet5_modern"]
    with pytest.raises(KeyError, match="families: AlexNet, Inception, LeNet, VGG"):
        models.list_models("Transformer")
    with pytest.raises(KeyError, match="no model 'vit_b16'"):
        models.model_info("vit_b16")


def test_flat_api_and_family_modules_agree():
    from course_utils.models import alexnet, lenet, lenet5_modern

    assert lenet5_modern is lenet.lenet5_modern
    assert models.alexnet_paper is alexnet.alexnet_paper
    assert models.layer_table is lenet.layer_table and models.LayerTable is lenet.LayerTable
    for name in ("alexnet_classics_listing", "alexnet_small", "alexnet_for_profile", "lenet5_classic"):
        assert callable(getattr(models, name))


def test_reloading_a_family_replaces_its_entries():
    before = models.model_info("lenet5_modern")
    reloaded = importlib.reload(models.lenet)
    try:
        after = models.model_info("lenet5_modern")
        assert after is not before and after.builder is reloaded.lenet5_modern
        assert len(models.MODELS) == len(KNOWN_PARAMETERS)
    finally:
        importlib.reload(models)  # the flat names again point at the reloaded module's builders
    assert models.lenet5_modern is models.lenet.lenet5_modern is models.model_info("lenet5_modern").builder


def test_a_name_taken_by_another_module_is_an_error():
    def lenet5_modern(input_shape=(32, 32, 1)):
        raise AssertionError("never built")

    lenet5_modern.__module__ = "someone_elses_module"
    with pytest.raises(ValueError, match="'lenet5_modern' is already registered by course_utils.models.lenet"):
        registry.register_model("lenet5_modern", year=None, family="LeNet", builder=lenet5_modern,
                                input_shape=(32, 32, 1), notebook="06_lenet5", description="a copy")
    assert models.model_info("lenet5_modern").builder is models.lenet.lenet5_modern
