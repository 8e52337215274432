"""The course's architectures, one module per family, every layer named (deterministic traces).

``lenet`` (notebook 06), ``alexnet`` (notebook 07), ``vgg`` (notebook 08) and ``mini_vgg`` (notebook 10, its
builder ``mini_vgg.mini_vgg``) define the builders;
``registry`` lists them with their year, family, native input and notebook (:func:`list_models`,
:func:`model_info`).
Everything is re-exported here: ``from course_utils.models import lenet5_modern`` works.
Builders return uncompiled ``keras.Model`` objects on NHWC inputs. A new family (``inception``, ...)
is one new module that defines its builders and calls ``register_model`` for each, plus its
imports here.

Example:
    >>> lenet5_modern().count_params()
    61706
    >>> [m.name for m in list_models()]
    ['lenet5_classic', 'lenet5_modern', 'alexnet_paper', 'alexnet_small', 'vgg16', 'vgg19', 'vgg16_small',
     'vgg_captcha', 'mini_vgg_v1', 'mini_vgg_v2', 'googlenet', 'inception_v3', 'inception_small']
"""

from . import alexnet, lenet, registry
from .alexnet import alexnet_classics_listing, alexnet_for_profile, alexnet_paper, alexnet_small
from .inception import (  # the family module is `course_utils.models.inception`
    GOOGLENET_MODULES,
    googlenet,
    inception_for_profile,
    inception_module,
    inception_v3,
    inference_model,
    small_inception,
)
from .lenet import LayerTable, layer_table, lenet5_classic, lenet5_logits, lenet5_modern
from .mini_vgg import MINI_VGG_VERSIONS, mini_vgg_v1, mini_vgg_v2
from .registry import MODELS, ModelInfo, list_models, model_info, register_model
from .vgg import (  # the family module is `course_utils.models.vgg`; its builder is `vgg_from_config`
    PAPER_PARAMS_MILLIONS,
    VGG_CONFIGS,
    cached_imagenet_weights,
    config_blocks,
    config_table,
    fc_to_conv,
    parameter_count,
    vgg16,
    vgg16_small,
    vgg19,
    vgg_block,
    vgg_for_profile,
    vgg_from_config,
    weight_layers,
)
from .vgg_captcha import captcha_for_profile, captcha_input, read_captcha, vgg_captcha

__all__ = [
    "MODELS", "LayerTable", "ModelInfo", "alexnet", "alexnet_for_profile", "alexnet_paper", "alexnet_classics_listing",
    "alexnet_small", "layer_table", "lenet", "lenet5_classic", "lenet5_logits", "lenet5_modern", "list_models", "model_info",
    "register_model", "registry",
    "PAPER_PARAMS_MILLIONS", "VGG_CONFIGS", "cached_imagenet_weights", "config_blocks", "config_table",
    "fc_to_conv",
    "parameter_count", "vgg_from_config", "vgg16", "vgg16_small", "vgg19", "vgg_block", "vgg_for_profile", "weight_layers",
    "captcha_for_profile", "captcha_input", "read_captcha", "vgg_captcha",
    "MINI_VGG_VERSIONS", "mini_vgg", "mini_vgg_v1", "mini_vgg_v2",  # mini_vgg: the module
    "GOOGLENET_MODULES", "googlenet", "inception", "inception_for_profile", "inception_module", "inception_v3",
    "inference_model", "small_inception",
]
