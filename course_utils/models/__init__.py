"""The course's architectures, one module per family, every layer named (deterministic traces).

``lenet`` (notebook 06) and ``alexnet`` (notebook 07) define the builders; ``registry`` lists them
with their year, family, native input and notebook (:func:`list_models`, :func:`model_info`).
Everything is re-exported here: ``from course_utils.models import lenet5_modern`` works.
Builders return uncompiled ``keras.Model`` objects on NHWC inputs. A new family (``vgg``, ...)
is one new module that defines its builders and calls ``register_model`` for each, plus its
imports here.

Example:
    >>> lenet5_modern().count_params()
    61706
    >>> [m.name for m in list_models()]
    ['lenet5_classic', 'lenet5_modern', 'alexnet_paper', 'alexnet_small']
"""

from . import alexnet, lenet, registry
from .alexnet import alexnet_for_profile, alexnet_paper, alexnet_seed003, alexnet_small
from .lenet import LayerTable, layer_table, lenet5_classic, lenet5_modern
from .registry import MODELS, ModelInfo, list_models, model_info, register_model

__all__ = [
    "MODELS", "LayerTable", "ModelInfo", "alexnet", "alexnet_for_profile", "alexnet_paper", "alexnet_seed003",
    "alexnet_small", "layer_table", "lenet", "lenet5_classic", "lenet5_modern", "list_models", "model_info",
    "register_model", "registry",
]
