"""Inception (notebook 11): modules from six filter counts, GoogLeNet from its table, v2/v3 factorization, v3, ResNet.

Szegedy et al. 2015 ("Going deeper with convolutions"), Table 1, lists GoogLeNet one row per
Inception module with six filter counts: ``#1x1``, ``#3x3 reduce``, ``#3x3``, ``#5x5 reduce``,
``#5x5`` and ``pool proj``. Here that table is data (:data:`GOOGLENET_MODULES`) and one builder,
:func:`inception_module`, turns a row into four parallel branches concatenated along the channel
axis (NHWC: ``axis=-1``). :func:`googlenet` stacks the rows into the 22-layer network, optionally
with the two auxiliary classifiers (on 4a and 4d) as extra outputs; :func:`inference_model` drops
them and shares every weight. Later versions: :func:`factorized_conv` (5 x 5 as two 3 x 3, n x n
as 1 x n then n x 1), :func:`grid_reduction` (convolution and pooling in parallel),
:func:`inception_resnet_block`, :func:`inception_v3` (same parameters as
``keras.applications.InceptionV3``), :func:`mixed_blocks` (an Inception v3's blocks: grids and kernel sizes,
beside the paper's Table 1) and :func:`small_inception` (the CIFAR-10 net of Zhang et al. 2017).

Example:
    >>> x = keras.Input((28, 28, 192))
    >>> block = keras.Model(x, inception_module(x, *GOOGLENET_MODULES["3a"], name="3a"))
    >>> block.output_shape, block.count_params()
    ((None, 28, 28, 256), 163696)
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import keras
from keras import layers

from ..keras_internals import producer
from ..layers import LocalResponseNormalization
from ..tracing import trace as trace_model
from .registry import register_model

GOOGLENET_MODULES: dict[str, tuple[int, int, int, int, int, int]] = {
    #        #1x1  #3x3 reduce  #3x3  #5x5 reduce  #5x5  pool proj
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
"""The paper's Table 1, one row per Inception module: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)."""

POOL_AFTER = ("3b", "4e")  # a 3 x 3 max pooling with stride 2 follows these modules
AUX_AFTER = ("4a", "4d")  # the auxiliary classifiers read these modules' outputs
AUX_LOSS_WEIGHT = 0.3  # each auxiliary loss is added with this weight during training

PAPER_TABLE_1: dict[str, tuple[float, int]] = {
    "conv1": (2.7, 34), "conv2": (112, 360),
    "3a": (159, 128), "3b": (380, 304),
    "4a": (364, 73), "4b": (437, 88), "4c": (463, 100), "4d": (580, 119), "4e": (840, 170),
    "5a": (1072, 54), "5b": (1388, 71), "linear": (1000, 1),
}
"""The paper's Table 1 'params' (in K) and 'ops' (in M) columns for the layers that have weights, as printed."""


@dataclass(frozen=True)
class ModuleCost:
    """Weights (no biases), parameters (with biases) and MACs per image of one stage of a network."""

    name: str
    output_shape: tuple
    weights: int
    params: int
    macs: int


def _scaled(n: int, width: float) -> int:
    return max(1, round(n * width))


def _conv(x, filters: int, kernel, name: str, *, strides=1, padding: str = "same", batch_norm: bool = False,
          activation: str | None = "relu", kernel_initializer: str = "glorot_uniform"):
    """A convolution followed by its ReLU; with ``batch_norm``: convolution (no bias), BatchNormalization, ReLU."""
    if not batch_norm:
        return layers.Conv2D(filters, kernel, strides=strides, padding=padding, activation=activation,
                             kernel_initializer=kernel_initializer, name=name)(x)
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                      kernel_initializer=kernel_initializer, name=name)(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return x if activation is None else layers.Activation(activation, name=f"{name}_relu")(x)


def inception_module(x, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int, *,
                     name: str = "inception", batch_norm: bool = False, kernel_initializer: str = "glorot_uniform"):
    """Apply an Inception v1 module (a row of the paper's Table 1) to the NHWC tensor ``x``.

    Four branches read ``x`` and keep its height and width ('same' padding, stride 1): a 1 x 1
    convolution (``c1`` filters); a 1 x 1 reduction (``c3_reduce``) then a 3 x 3 (``c3``); a 1 x 1
    reduction (``c5_reduce``) then a 5 x 5 (``c5``); a 3 x 3 max pooling then a 1 x 1 projection
    (``pool_proj``). Each convolution has a ReLU; the outputs are concatenated along the channels
    in that order: ``c1 + c3 + c5 + pool_proj`` channels. Layers are named ``{name}_1x1``,
    ``{name}_3x3_reduce``, ``{name}_3x3``, ``{name}_5x5_reduce``, ``{name}_5x5``, ``{name}_pool``,
    ``{name}_pool_proj`` and ``{name}_output``.

    Example:
        >>> x = keras.Input((14, 14, 480))
        >>> keras.Model(x, inception_module(x, *GOOGLENET_MODULES["4a"], name="4a")).output_shape
        (None, 14, 14, 512)
    """
    conv = {"batch_norm": batch_norm, "kernel_initializer": kernel_initializer}
    b1 = _conv(x, c1, 1, f"{name}_1x1", **conv)
    b3 = _conv(_conv(x, c3_reduce, 1, f"{name}_3x3_reduce", **conv), c3, 3, f"{name}_3x3", **conv)
    b5 = _conv(_conv(x, c5_reduce, 1, f"{name}_5x5_reduce", **conv), c5, 5, f"{name}_5x5", **conv)
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    bp = _conv(pooled, pool_proj, 1, f"{name}_pool_proj", **conv)
    return layers.Concatenate(axis=-1, name=f"{name}_output")([b1, b3, b5, bp])


def naive_inception_module(x, c1: int, c3: int, c5: int, *, name: str = "naive"):
    """The paper's first idea (its Figure 2a): 1 x 1, 3 x 3 and 5 x 5 convolutions and a 3 x 3 max pooling on ``x``.

    No reductions: the 3 x 3 and 5 x 5 read all of ``x``'s channels, and the pooling branch passes
    them all on, so the output has ``c1 + c3 + c5 + channels(x)`` channels and grows module by module.

    Example:
        >>> x = keras.Input((28, 28, 192))
        >>> keras.Model(x, naive_inception_module(x, 64, 128, 32)).output_shape
        (None, 28, 28, 416)
    """
    b1 = _conv(x, c1, 1, f"{name}_1x1")
    b3 = _conv(x, c3, 3, f"{name}_3x3")
    b5 = _conv(x, c5, 5, f"{name}_5x5")
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    return layers.Concatenate(axis=-1, name=f"{name}_output")([b1, b3, b5, pooled])


def _aux_head(x, num_classes: int, name: str, width: float, dropout: float, batch_norm: bool, init: str):
    """An auxiliary classifier (the paper's section 5): 5 x 5 average pooling, stride 3, 1 x 1 conv 128, fc 1,024, fc."""
    x = layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = _conv(x, _scaled(128, width), 1, f"{name}_conv", batch_norm=batch_norm, kernel_initializer=init)
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = layers.Dense(_scaled(1024, width), activation="relu", kernel_initializer=init, name=f"{name}_fc")(x)
    x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    x = layers.Dense(num_classes, name=f"{name}_predictions")(x)
    return layers.Activation("softmax", dtype="float32", name=f"{name}_softmax")(x)


def googlenet(
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    *,
    aux_heads: bool = False,
    width: float = 1.0,
    batch_norm: bool = False,
    lrn: bool | None = None,
    dropout: float = 0.4,
    aux_dropout: float = 0.7,
    resize_to: int | None = None,
    kernel_initializer: str = "glorot_uniform",
    name: str | None = None,
) -> keras.Model:
    """GoogLeNet (Inception v1) from :data:`GOOGLENET_MODULES`: stem, modules 3a-5b, average pooling, dropout, linear.

    Stem: 7 x 7 convolution (64, stride 2), 3 x 3 max pooling (stride 2), LRN, 1 x 1 (64), 3 x 3 (192),
    LRN, 3 x 3 max pooling (stride 2); then 3a, 3b, pooling, 4a-4e, pooling, 5a, 5b; a global average
    pooling (7 x 7 at 224), dropout ``dropout`` and a linear layer with softmax (``predictions`` gives
    the logits, ``softmax`` is its own float32 layer, safe under mixed precision). 22 layers with
    weights counting each module as two deep. ``aux_heads`` adds the two auxiliary classifiers on 4a
    and 4d: the model then has three outputs ``[softmax, aux1_softmax, aux2_softmax]`` (train with
    :func:`compile_with_aux_heads` and :func:`with_aux_targets`; predict with :func:`inference_model`).
    Options: ``width`` scales every filter count, ``batch_norm`` puts batch normalization after each
    convolution (as Inception v2 did; LRN is then left out unless ``lrn=True``), ``resize_to``
    upsamples each batch inside the model (CIFAR-10 to 224).

    Example:
        >>> googlenet().count_params()
        6998552
        >>> [o.shape for o in googlenet(aux_heads=True).outputs]
        [(None, 1000), (None, 1000), (None, 1000)]
    """
    if not width > 0:
        raise ValueError(f"width must be positive (1.0 = the paper's filters), got {width}")
    lrn = (not batch_norm) if lrn is None else lrn
    conv = {"batch_norm": batch_norm, "kernel_initializer": kernel_initializer}
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    if resize_to is not None:
        x = layers.Resizing(resize_to, resize_to, name=f"resize_{resize_to}")(x)
    x = _conv(x, _scaled(64, width), 7, "conv1_7x7_s2", strides=2, **conv)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1_3x3_s2")(x)
    if lrn:
        x = LocalResponseNormalization(name="pool1_norm1")(x)
    x = _conv(x, _scaled(64, width), 1, "conv2_3x3_reduce", **conv)
    x = _conv(x, _scaled(192, width), 3, "conv2_3x3", **conv)
    if lrn:
        x = LocalResponseNormalization(name="conv2_norm2")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2_3x3_s2")(x)
    aux = []
    for module, counts in GOOGLENET_MODULES.items():
        x = inception_module(x, *(_scaled(c, width) for c in counts), name=f"inception_{module}", **conv)
        if aux_heads and module in AUX_AFTER:
            aux.append(_aux_head(x, num_classes, f"aux{len(aux) + 1}", width, aux_dropout, batch_norm,
                                 kernel_initializer))
        if module in POOL_AFTER:
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{module[0]}_3x3_s2")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(num_classes, kernel_initializer=kernel_initializer, name="predictions")(x)  # logits
    main = layers.Activation("softmax", dtype="float32", name="softmax")(x)
    if name is None:
        name = "googlenet" + ("_aux" if aux_heads else "") + (f"_{resize_to}" if resize_to else "")
    return keras.Model(inputs, [main, *aux] if aux_heads else main, name=name)


def inference_model(model: keras.Model) -> keras.Model:
    """Return ``model`` without its auxiliary classifiers: the same layers and weights, one output (``softmax``).

    Training the returned model trains ``model`` too (the layers are shared, not copied).

    Example:
        >>> train = googlenet((96, 96, 3), 10, aux_heads=True, width=0.125)
        >>> infer = inference_model(train)
        >>> infer.output_shape, infer.count_params() < train.count_params(), infer.layers[-1] is train.get_layer("softmax")
        ((None, 10), True, True)
    """
    return keras.Model(model.input, model.get_layer("softmax").output, name=model.name.replace("_aux", "") + "_inference")


def compile_with_aux_heads(model: keras.Model, optimizer, aux_weight: float = AUX_LOSS_WEIGHT) -> None:
    """Compile a :func:`googlenet` with ``aux_heads``: sparse cross-entropy on each head, aux losses weighted ``aux_weight``.

    The logged ``loss`` is ``main + aux_weight * (aux1 + aux2)``; accuracy is logged for the main
    head only (``softmax_accuracy``).
    """
    heads = ("softmax", "aux1_softmax", "aux2_softmax")
    with model.distribute_strategy.scope():
        model.compile(
            optimizer=optimizer,
            loss={head: "sparse_categorical_crossentropy" for head in heads},
            loss_weights={head: 1.0 if head == "softmax" else aux_weight for head in heads},
            metrics={"softmax": ["accuracy"]},
        )


def with_aux_targets(dataset):
    """Map a ``tf.data`` dataset of ``(images, labels)`` to ``(images, {head: labels})`` for the three heads."""
    return dataset.map(lambda x, y: (x, {"softmax": y, "aux1_softmax": y, "aux2_softmax": y}))


def module_costs(model: keras.Model, trace=None) -> list[ModuleCost]:
    """Return one :class:`ModuleCost` per stage of a :func:`googlenet`: conv1, conv2, 3a ... 5b, linear.

    Weights are the kernels only (the paper's Table 1 counts no biases); parameters add the biases
    (and batch normalization); MACs come from ``trace`` (:func:`course_utils.trace`, computed here
    when not given). Auxiliary heads are left out, as in the paper's table.

    Example:
        >>> costs = module_costs(googlenet())
        >>> [(c.name, c.weights, c.macs) for c in costs[2:3]]
        [('3a', 163328, 128049152)]
    """
    t = trace if trace is not None else trace_model(model, columns="cost")
    stages = {"conv1": ("conv1_",), "conv2": ("conv2_",), **{m: (f"inception_{m}_",) for m in GOOGLENET_MODULES},
              "linear": ("predictions",)}
    out = []
    for stage, prefixes in stages.items():
        chosen = [layer for layer in model.layers if layer.name.startswith(prefixes)]
        rows = [r for r in t.rows if r.name.startswith(prefixes)]
        weights = sum(int(layer.kernel.numpy().size) for layer in chosen if hasattr(layer, "kernel"))
        params = sum(r.params for r in rows)
        macs = sum(r.macs or 0 for r in rows)
        out.append(ModuleCost(stage, rows[-1].output_shape, weights, params, macs))
    return out


def factorized_conv(x, filters: int, kernels: Sequence, name: str, *, batch_norm: bool = False):
    """Apply a chain of convolutions ('same', ReLU), one per kernel: ``[3, 3]`` for a 5 x 5, ``[(1, 7), (7, 1)]`` for 7 x 7.

    Inception v2/v3's factorizations: two 3 x 3 see a 5 x 5 patch with 18 instead of 25 weights per
    channel pair; 1 x n then n x 1 see n x n with 2n instead of n * n.

    Example (two convolutions of 7 * 8 * 8 weights and 8 biases each):
        >>> x = keras.Input((17, 17, 8))
        >>> keras.Model(x, factorized_conv(x, 8, [(1, 7), (7, 1)], "f")).count_params()
        912
    """
    for i, kernel in enumerate(kernels, start=1):
        x = _conv(x, filters, kernel, f"{name}_{i}", batch_norm=batch_norm)
    return x


def grid_reduction(x, filters: int, variant: str = "parallel", *, name: str = "reduction"):
    """Halve the grid of ``x`` (H x W x C -> about H/2 x W/2 x (C + ``filters``)) in one of three ways.

    - ``"parallel"`` (Inception v3, its Figure 10 simplified): a 3 x 3 convolution with stride 2
      (``filters``) and a 3 x 3 max pooling with stride 2 side by side, concatenated;
    - ``"pool_then_conv"``: the pooling first, then a 3 x 3 convolution to ``C + filters`` channels
      (cheap, but the pooling squeezes the representation before the convolution can widen it);
    - ``"conv_then_pool"``: a 3 x 3 convolution to ``C + filters`` on the full grid, then the pooling
      (no squeeze, four times the work).

    Example:
        >>> x = keras.Input((35, 35, 32))
        >>> [keras.Model(x, grid_reduction(x, 32, v)).output_shape for v in ("parallel", "pool_then_conv")]
        [(None, 17, 17, 64), (None, 17, 17, 64)]
    """
    pool = layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")
    if variant == "parallel":
        conv = _conv(x, filters, 3, f"{name}_conv", strides=2, padding="valid")
        return layers.Concatenate(axis=-1, name=f"{name}_output")([conv, pool(x)])
    out = x.shape[-1] + filters
    if variant == "pool_then_conv":
        return _conv(pool(x), out, 3, f"{name}_conv")
    if variant == "conv_then_pool":
        return pool(_conv(x, out, 3, f"{name}_conv"))
    raise ValueError(f"variant must be 'parallel', 'pool_then_conv' or 'conv_then_pool', got {variant!r}")


def inception_resnet_block(x, scale: float = 0.17, *, name: str = "block35", batch_norm: bool = False):
    """An Inception-ResNet block (Szegedy et al. 2017, the 35 x 35 block of Inception-ResNet-v2) on ``x``.

    Three branches (1 x 1 32; 1 x 1 32 then 3 x 3 32; 1 x 1 32, 3 x 3 48, 3 x 3 64) are concatenated
    (128 channels), a linear 1 x 1 convolution brings them back to ``x``'s channels, the result is
    multiplied by ``scale`` (the paper scales residuals by 0.1 to 0.3 to keep training stable),
    added to ``x``, and a ReLU follows. The output has ``x``'s shape.

    Example:
        >>> x = keras.Input((35, 35, 320))
        >>> keras.Model(x, inception_resnet_block(x)).output_shape
        (None, 35, 35, 320)
    """
    conv = {"batch_norm": batch_norm}
    b0 = _conv(x, 32, 1, f"{name}_b0_1x1", **conv)
    b1 = _conv(_conv(x, 32, 1, f"{name}_b1_1x1", **conv), 32, 3, f"{name}_b1_3x3", **conv)
    b2 = _conv(x, 32, 1, f"{name}_b2_1x1", **conv)
    b2 = _conv(_conv(b2, 48, 3, f"{name}_b2_3x3a", **conv), 64, 3, f"{name}_b2_3x3b", **conv)
    mixed = layers.Concatenate(axis=-1, name=f"{name}_mixed")([b0, b1, b2])
    up = layers.Conv2D(x.shape[-1], 1, name=f"{name}_up")(mixed)  # linear: no ReLU before the sum
    scaled = layers.Rescaling(scale, name=f"{name}_scale")(up)
    return layers.Activation("relu", name=f"{name}_relu")(layers.Add(name=f"{name}_add")([x, scaled]))


# --- Inception v3, written as keras.applications.InceptionV3 builds it ---------------------------------------------

INCEPTION_V3_LAYOUT: tuple[tuple[str, int], ...] = (
    ("A", 32), ("A", 64), ("A", 64), ("reduction_A", 0),
    ("B", 128), ("B", 160), ("B", 160), ("B", 192), ("reduction_B", 0),
    ("C", 0), ("C", 0),
)
"""Inception v3's eleven mixed blocks (Szegedy et al. 2016, Table 1): (type, its width: pool projection for A,
the 7 x 7 branches' inner filters for B)."""


def _bn_conv(x, filters: int, kernel, name: str, strides=1, padding: str = "same"):
    """Keras' ``conv2d_bn``: convolution without bias, batch normalization without scale (beta only), ReLU."""
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    x = layers.BatchNormalization(scale=False, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _v3_block(x, kind: str, width: int, name: str):
    """One mixed block of Inception v3: A (35 x 35), B (17 x 17, 1 x 7 / 7 x 1), C (8 x 8, split 1 x 3 / 3 x 1)."""
    def avg_proj(filters):
        pooled = layers.AveragePooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
        return _bn_conv(pooled, filters, 1, f"{name}_pool_proj")

    if kind == "A":
        b1 = _bn_conv(x, 64, 1, f"{name}_1x1")
        b5 = _bn_conv(_bn_conv(x, 48, 1, f"{name}_5x5_reduce"), 64, 5, f"{name}_5x5")
        b3 = _bn_conv(_bn_conv(x, 64, 1, f"{name}_3x3dbl_reduce"), 96, 3, f"{name}_3x3dbl_1")
        b3 = _bn_conv(b3, 96, 3, f"{name}_3x3dbl_2")
        branches = [b1, b5, b3, avg_proj(width)]
    elif kind == "reduction_A":
        b3 = _bn_conv(x, 384, 3, f"{name}_3x3", strides=2, padding="valid")
        bd = _bn_conv(_bn_conv(x, 64, 1, f"{name}_3x3dbl_reduce"), 96, 3, f"{name}_3x3dbl_1")
        bd = _bn_conv(bd, 96, 3, f"{name}_3x3dbl_2", strides=2, padding="valid")
        branches = [b3, bd, layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)]
    elif kind == "B":
        b1 = _bn_conv(x, 192, 1, f"{name}_1x1")
        b7 = _bn_conv(x, width, 1, f"{name}_7x7_reduce")
        b7 = _bn_conv(_bn_conv(b7, width, (1, 7), f"{name}_1x7"), 192, (7, 1), f"{name}_7x1")
        bd = _bn_conv(x, width, 1, f"{name}_7x7dbl_reduce")
        for i, (kernel, filters) in enumerate(zip([(7, 1), (1, 7), (7, 1), (1, 7)], [width] * 3 + [192]), start=1):
            bd = _bn_conv(bd, filters, kernel, f"{name}_7x7dbl_{i}")
        branches = [b1, b7, bd, avg_proj(192)]
    elif kind == "reduction_B":
        b3 = _bn_conv(_bn_conv(x, 192, 1, f"{name}_3x3_reduce"), 320, 3, f"{name}_3x3", strides=2, padding="valid")
        b7 = _bn_conv(x, 192, 1, f"{name}_7x7x3_reduce")
        b7 = _bn_conv(_bn_conv(b7, 192, (1, 7), f"{name}_1x7"), 192, (7, 1), f"{name}_7x1")
        b7 = _bn_conv(b7, 192, 3, f"{name}_7x7x3_3x3", strides=2, padding="valid")
        branches = [b3, b7, layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)]
    elif kind == "C":
        b1 = _bn_conv(x, 320, 1, f"{name}_1x1")
        b3 = _bn_conv(x, 384, 1, f"{name}_3x3_reduce")
        b3 = layers.Concatenate(name=f"{name}_3x3_split")(
            [_bn_conv(b3, 384, (1, 3), f"{name}_1x3"), _bn_conv(b3, 384, (3, 1), f"{name}_3x1")])
        bd = _bn_conv(_bn_conv(x, 448, 1, f"{name}_3x3dbl_reduce"), 384, 3, f"{name}_3x3dbl")
        bd = layers.Concatenate(name=f"{name}_3x3dbl_split")(
            [_bn_conv(bd, 384, (1, 3), f"{name}_dbl_1x3"), _bn_conv(bd, 384, (3, 1), f"{name}_dbl_3x1")])
        branches = [b1, b3, bd, avg_proj(192)]
    else:
        raise ValueError(f"unknown Inception v3 block {kind!r}; use A, reduction_A, B, reduction_B or C")
    return layers.Concatenate(axis=-1, name=name)(branches)


def inception_v3(input_shape: tuple[int, int, int] = (299, 299, 3), num_classes: int = 1000) -> keras.Model:
    """Inception v3 as ``keras.applications.InceptionV3`` builds it (same parameters, blocks named ``mixed0`` ... ``mixed10``).

    Stem: 3 x 3 convolutions (32 stride 2 'valid', 32 'valid', 64), 3 x 3 max pooling (stride 2),
    1 x 1 (80), 3 x 3 (192 'valid'), 3 x 3 max pooling; then :data:`INCEPTION_V3_LAYOUT`; global
    average pooling and a linear layer with softmax. Every convolution is Keras' ``conv2d_bn``.

    Example:
        >>> model = inception_v3()
        >>> model.get_layer("mixed7").output.shape, model.count_params()
        ((None, 17, 17, 768), 23851784)
    """
    inputs = keras.Input(input_shape, name="image")
    x = _bn_conv(inputs, 32, 3, "conv1", strides=2, padding="valid")
    x = _bn_conv(x, 32, 3, "conv2", padding="valid")
    x = _bn_conv(x, 64, 3, "conv3")
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = _bn_conv(x, 80, 1, "conv4", padding="valid")
    x = _bn_conv(x, 192, 3, "conv5", padding="valid")
    x = layers.MaxPooling2D(3, strides=2, name="pool2")(x)
    for i, (kind, width) in enumerate(INCEPTION_V3_LAYOUT):
        x = _v3_block(x, kind, width, f"mixed{i}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(num_classes, name="predictions")(x)
    return keras.Model(inputs, layers.Activation("softmax", dtype="float32", name="softmax")(x), name="inception_v3")


V3_TABLE_1_MODULES: dict[int, int] = {35: 3, 17: 5, 8: 2}
"""Szegedy et al. 2016, Table 1: how many Inception modules it lists on each grid (35 x 35, 17 x 17, 8 x 8),
the grid reductions between them not counted."""

V3_PAPER_MACS = 5_000_000_000
"""Szegedy et al. 2016, abstract: "a computational cost of 5 billion multiply-adds per inference" (rounded)."""


@dataclass(frozen=True)
class MixedBlock:
    """One block of an Inception v3 (a layer named ``mixed<i>``): grid side in and out, its convolutions' kernels."""

    name: str
    side_in: int
    side_out: int
    kernels: tuple[tuple[int, int], ...]  # the distinct (height, width) of its convolutions, sorted

    @property
    def reduces_grid(self) -> bool:
        """True for a grid reduction (its output grid is smaller than its input's)."""
        return self.side_out < self.side_in


def _ancestors(tensor) -> list:
    """``tensor`` and every symbolic tensor it was computed from, nearest first (breadth first)."""
    order, seen, queue = [], set(), deque([tensor])
    while queue:
        t = queue.popleft()
        if id(t) not in seen:
            seen.add(id(t))
            order.append(t)
            queue.extend(producer(t)[1])
    return order


def mixed_blocks(model: keras.Model) -> list[MixedBlock]:
    """Return one :class:`MixedBlock` per layer named ``mixed0``, ``mixed1``, ... of an Inception v3, in order.

    Works on :func:`inception_v3` and on ``keras.applications.InceptionV3`` alike (both name their
    blocks' concatenations so). A block's input is the nearest tensor that all its branches (the
    inputs of its concatenation) are computed from; its kernels are those of every ``Conv2D``
    between that input and the block's output. Shapes are NHWC, the sides square.

    Example:
        >>> blocks = mixed_blocks(inception_v3())
        >>> blocks[0].side_in, blocks[0].kernels, [b.name for b in blocks if b.reduces_grid]
        (35, ((1, 1), (3, 3), (5, 5)), ['mixed3', 'mixed8'])
    """
    names = sorted((layer.name for layer in model.layers if re.fullmatch(r"mixed\d+", layer.name)),
                   key=lambda name: int(name[len("mixed"):]))
    if not names:
        raise ValueError(f"model {model.name!r} has no layers named mixed0, mixed1, ...: build it with "
                         "models.inception_v3() or keras.applications.InceptionV3")
    blocks = []
    for name in names:
        output = model.get_layer(name).output
        branches = producer(output)[1]
        shared = set.intersection(*({id(t) for t in _ancestors(b)} for b in branches))
        block_input = next(t for t in _ancestors(branches[0]) if id(t) in shared)
        kernels, seen, stack = set(), {id(block_input)}, [output]
        while stack:
            tensor = stack.pop()
            if id(tensor) in seen:
                continue
            seen.add(id(tensor))
            layer, inputs, _ = producer(tensor)
            if isinstance(layer, layers.Conv2D):
                kernels.add(tuple(int(k) for k in layer.kernel_size))
            stack.extend(inputs)
        blocks.append(MixedBlock(name, int(block_input.shape[1]), int(output.shape[1]), tuple(sorted(kernels))))
    return blocks


# --- the classroom network ----------------------------------------------------------------------------------------

SMALL_INCEPTION_LAYOUT: tuple[tuple[str, int, int], ...] = (
    ("inception", 32, 32), ("inception", 32, 48), ("downsample", 80, 0),
    ("inception", 112, 48), ("inception", 96, 64), ("inception", 80, 80), ("inception", 48, 96), ("downsample", 96, 0),
    ("inception", 176, 160), ("inception", 176, 160),
)
"""Zhang et al. 2017 ("Understanding deep learning requires rethinking generalization"), Appendix A (small
Inception for CIFAR-10): ("inception", #1x1, #3x3) or ("downsample", #3x3 stride 2, -)."""


def small_inception(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    num_classes: int = 10,
    *,
    width: float = 1.0,
    kernel_initializer: str = "he_normal",
    name: str = "inception_small",
) -> keras.Model:
    """The small Inception of Zhang et al. 2017 for 32 x 32 images: two module types, about 1.65 million parameters.

    Every convolution is a "conv module": convolution without bias, batch normalization, ReLU. A
    first 3 x 3 convolution (96 filters); "inception" modules are a 1 x 1 and a 3 x 3 branch
    concatenated; "downsample" modules a 3 x 3 convolution with stride 2 ('valid') beside a 3 x 3 max
    pooling with stride 2 (the grid reduction of :func:`grid_reduction`). 32 -> 15 -> 7, then global
    average pooling and a linear layer with softmax. ``width`` scales every filter count.

    Example:
        >>> model = small_inception()
        >>> model.get_layer("down2_output").output.shape, model.count_params()
        ((None, 7, 7, 240), 1654538)
    """
    conv = {"batch_norm": True, "kernel_initializer": kernel_initializer}
    inputs = keras.Input(input_shape, name="image")
    x = _conv(inputs, _scaled(96, width), 3, "conv1", **conv)
    counts = {"inception": 0, "downsample": 0}
    for kind, a, b in SMALL_INCEPTION_LAYOUT:
        counts[kind] += 1
        if kind == "inception":
            block = f"incep{counts[kind]}"
            branches = [_conv(x, _scaled(a, width), 1, f"{block}_1x1", **conv),
                        _conv(x, _scaled(b, width), 3, f"{block}_3x3", **conv)]
        else:
            block = f"down{counts[kind]}"
            branches = [_conv(x, _scaled(a, width), 3, f"{block}_3x3", strides=2, padding="valid", **conv),
                        layers.MaxPooling2D(3, strides=2, name=f"{block}_pool")(x)]
        x = layers.Concatenate(axis=-1, name=f"{block}_output")(branches)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(num_classes, kernel_initializer=kernel_initializer, name="predictions")(x)
    return keras.Model(inputs, layers.Activation("softmax", dtype="float32", name="softmax")(x), name=name)


def inception_for_profile(kind: str, num_classes: int = 10, input_shape: tuple[int, int, int] = (32, 32, 3),
                          **options) -> keras.Model:
    """Return the network a profile trains in notebook 11: ``'small'`` (CPU, 32 x 32) or ``'paper'`` (GPU, 224).

    ``'paper'`` is GoogLeNet with both auxiliary heads and batch normalization, upsampling CIFAR-10 to
    224 x 224 inside the model; build it inside ``with run.strategy.scope():``, compile it with
    :func:`compile_with_aux_heads`, train on :func:`with_aux_targets` and evaluate
    :func:`inference_model`. ``options`` go to the builder (e.g. ``width`` for a quick test).

    Example:
        >>> [o.shape for o in inception_for_profile("paper", width=0.0625).outputs]
        [(None, 10), (None, 10), (None, 10)]
    """
    if kind == "small":
        return small_inception(input_shape, num_classes, **options)
    if kind == "paper":
        options = {"batch_norm": True, "kernel_initializer": "he_normal", **options}
        return googlenet(input_shape, num_classes, aux_heads=True, resize_to=224, **options)
    raise ValueError(f"kind must be 'small' (classroom) or 'paper' (full profile), got {kind!r}")


register_model(
    "googlenet", year=2014, family="Inception", builder=googlenet, input_shape=(224, 224, 3), notebook="11_inception",
    description="Inception v1 (Szegedy et al. 2015): nine Inception modules, 1 x 1 reductions, global average pooling",
)
register_model(
    "inception_v3", year=2015, family="Inception", builder=inception_v3, input_shape=(299, 299, 3),
    notebook="11_inception",
    description="factorized Inception: 5 x 5 as two 3 x 3, n x n as 1 x n and n x 1, batch norm, parallel grid reduction",
)
register_model(
    "inception_small", year=None, family="Inception", builder=small_inception, input_shape=(32, 32, 3),
    notebook="11_inception",
    description="the small Inception of Zhang et al. 2017 for CIFAR-10: 1 x 1 + 3 x 3 modules, ~1.65 M parameters",
)
