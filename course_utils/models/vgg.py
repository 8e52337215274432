"""VGG (notebook 08): the paper's six configurations in one table, one builder, and FC-to-convolution.

Simonyan and Zisserman (2015), "Very Deep Convolutional Networks for Large-Scale Image Recognition",
Table 1: configurations A, A-LRN, B, C, D (VGG16) and E (VGG19) differ only in the layers inside
their five blocks, written here as the paper writes them (``conv3-64`` = a 3 x 3 convolution with 64
filters, ``conv1-256`` = 1 x 1, ``LRN`` = local response normalization). :func:`vgg` turns any row
into a Keras model whose layer names follow ``keras.applications`` (``block1_conv1`` ... ``fc1``,
``fc2``, ``predictions``), so weights can be compared layer by layer. The final softmax is its own
float32 layer: ``predictions`` outputs the logits (Grad-CAM reads them) and mixed precision stays safe.

Example:
    >>> vgg_from_config("D").count_params(), vgg_from_config("E").count_params()
    (138357544, 143667240)
    >>> config_blocks("C")[2]
    ('conv3-256', 'conv3-256', 'conv1-256')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import keras
from keras import layers

from .. import arithmetic
from ..explain import layer_chain
from ..layers import LocalResponseNormalization
from ..session import current
from ..tables import text_table
from .registry import register_model

# The paper's Table 1, one row per configuration, one string per block (a 2 x 2 max pooling follows
# each block). Every hidden layer is followed by a ReLU; the classifier is the same for all six.
VGG_CONFIGS: dict[str, tuple[str, ...]] = {
    #          block 1                block 2                 block 3 ... block 5
    "A":     ("conv3-64",            "conv3-128",            "conv3-256 conv3-256",
              "conv3-512 conv3-512", "conv3-512 conv3-512"),
    "A-LRN": ("conv3-64 LRN",        "conv3-128",            "conv3-256 conv3-256",
              "conv3-512 conv3-512", "conv3-512 conv3-512"),
    "B":     ("conv3-64 conv3-64",   "conv3-128 conv3-128",  "conv3-256 conv3-256",
              "conv3-512 conv3-512", "conv3-512 conv3-512"),
    "C":     ("conv3-64 conv3-64",   "conv3-128 conv3-128",  "conv3-256 conv3-256 conv1-256",
              "conv3-512 conv3-512 conv1-512", "conv3-512 conv3-512 conv1-512"),
    "D":     ("conv3-64 conv3-64",   "conv3-128 conv3-128",  "conv3-256 conv3-256 conv3-256",
              "conv3-512 conv3-512 conv3-512", "conv3-512 conv3-512 conv3-512"),
    "E":     ("conv3-64 conv3-64",   "conv3-128 conv3-128",  "conv3-256 conv3-256 conv3-256 conv3-256",
              "conv3-512 conv3-512 conv3-512 conv3-512", "conv3-512 conv3-512 conv3-512 conv3-512"),
}
"""The paper's Table 1: configuration -> its five blocks, each a space-separated list of layers."""

PAPER_PARAMS_MILLIONS: dict[str, int] = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
"""Parameters in millions as the paper's Table 2 prints them (224 x 224 input, 1,000 classes)."""

# Quoted from Simonyan and Zisserman 2015, Table 3 ("ConvNet performance at a single test scale"): the course
# cannot compute these (ImageNet, weeks on four GPUs), so they live here once and notebook 08 prints them.
PAPER_SINGLE_SCALE_ERRORS: dict[str, dict[str, tuple[float, float]]] = {
    "A":     {"256": (29.6, 10.4)},
    "A-LRN": {"256": (29.7, 10.5)},
    "B":     {"256": (28.7, 9.9)},
    "C":     {"256": (28.1, 9.4), "384": (28.1, 9.3), "[256;512]": (27.3, 8.8)},
    "D":     {"256": (27.0, 8.8), "384": (26.8, 8.7), "[256;512]": (25.6, 8.1)},
    "E":     {"256": (27.3, 9.0), "384": (26.9, 8.7), "[256;512]": (25.5, 8.0)},
}
"""The paper's Table 3, quoted: configuration -> training scale S -> (top-1, top-5) error in % on ILSVRC-2012 validation.

S is the training images' smallest side ("[256;512]": scale jittering, a random side per image); the test side Q
is S for a fixed S and 384 for the jittered one. One network, one test scale, no ensemble.
"""

PAPER_SUBMISSION_ERRORS: dict[str, float] = {"top-1 val": 24.7, "top-5 val": 7.5, "top-5 test": 7.3}
"""The paper's ILSVRC-2014 classification entry, quoted (Simonyan and Zisserman 2015, Table 7): errors in % of an
ensemble of 7 networks with dense multi-scale evaluation, not of one network."""

PAPER_FC_UNITS = 4096  # fc1 and fc2 of the paper's classifier
SMALL_FC_UNITS = 512  # the classroom head, before the width multiplier
_CONV = re.compile(r"conv(\d+)-(\d+)")


def _tokens(block: str) -> list[str]:
    tokens = block.split()
    for token in tokens:
        if token != "LRN" and not _CONV.fullmatch(token):
            raise ValueError(f"unknown layer {token!r} in a VGG block; write conv<kernel>-<filters> (conv3-64) or LRN")
    return tokens


def _merge_into_larger_kernels(tokens: list[str], kernel_size: int, block: int) -> list[str]:
    """Replace each run of 3 x 3 convolutions by ``kernel_size`` convolutions with the same receptive field."""
    if kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd number >= 3, got {kernel_size}")
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        field = 2 * len(run) + 1  # n stacked 3 x 3 convolutions see (2n + 1) x (2n + 1) pixels
        count, rest = divmod(field - 1, kernel_size - 1)
        if rest:
            raise ValueError(
                f"block {block} has {len(run)} stacked 3 x 3 convolution(s), a {field} x {field} receptive field, which "
                f"{kernel_size} x {kernel_size} convolutions cannot match exactly; choose a kernel_size with "
                f"(kernel_size - 1) dividing {field - 1}, or another configuration (B with kernel_size=5 replaces each pair)"
            )
        filters = _CONV.fullmatch(run[-1]).group(2)
        out.extend([f"conv{kernel_size}-{filters}"] * count)
        run.clear()

    for token in tokens:
        match = _CONV.fullmatch(token)
        if match and match.group(1) == "3" and (not run or run[-1] == token):
            run.append(token)
            continue
        flush()
        if match and match.group(1) == "3":
            run.append(token)
        else:
            out.append(token)
    flush()
    return out


def config_blocks(config: str | Sequence[str], kernel_size: int | None = None) -> tuple[tuple[str, ...], ...]:
    """Return a configuration's five blocks as tuples of layer codes (``'conv3-64'``, ``'LRN'``).

    ``config`` is a name from :data:`VGG_CONFIGS` or a row of your own (one string per block).
    ``kernel_size`` replaces every run of 3 x 3 convolutions in a block by convolutions of that size
    covering the same receptive field: two 3 x 3 (a 5 x 5 field) become one 5 x 5, three become one
    7 x 7; the paper's shallow control network is B with ``kernel_size=5`` (its section 4.2).

    Example:
        >>> config_blocks("B", kernel_size=5)[:2]
        (('conv5-64',), ('conv5-128',))
    """
    if isinstance(config, str):
        if config not in VGG_CONFIGS:
            raise ValueError(f"unknown VGG configuration {config!r}; choose one of {', '.join(VGG_CONFIGS)}")
        rows = VGG_CONFIGS[config]
    else:
        rows = tuple(config)
    blocks = [_tokens(block) for block in rows]
    if kernel_size is not None and kernel_size != 3:
        blocks = [_merge_into_larger_kernels(tokens, kernel_size, b) for b, tokens in enumerate(blocks, start=1)]
    return tuple(tuple(tokens) for tokens in blocks)


def weight_layers(config: str | Sequence[str], kernel_size: int | None = None) -> int:
    """Return the number of layers with weights (convolutions + the 3 FC layers): 11 for A ... 19 for E.

    Example:
        >>> [weight_layers(name) for name in VGG_CONFIGS]
        [11, 11, 13, 16, 16, 19]
    """
    blocks = config_blocks(config, kernel_size)
    return sum(token != "LRN" for block in blocks for token in block) + 3


def _scaled(n: int, width: float) -> int:
    return max(1, round(n * width))


def _block_layers(
    tokens: Sequence[str],
    block: int,
    *,
    width: float = 1.0,
    batch_norm: bool = False,
    pool: bool = True,
    kernel_initializer: str = "glorot_uniform",
) -> list[keras.layers.Layer]:
    """The layers of one VGG block, named as in ``keras.applications``: ``block1_conv1``, ..., ``block1_pool``.

    Each convolution has 'same' padding and stride 1 and is followed by a ReLU (inside the layer, or
    after a ``BatchNormalization`` when ``batch_norm``); ``LRN`` is the paper's A-LRN normalization;
    a 2 x 2 max pooling with stride 2 ends the block when ``pool``.
    """
    out: list[keras.layers.Layer] = []
    conv = 0
    for token in tokens:
        if token == "LRN":
            out.append(LocalResponseNormalization(name=f"block{block}_lrn"))
            continue
        conv += 1
        k, filters = (int(v) for v in _CONV.fullmatch(token).groups())
        name = f"block{block}_conv{conv}"
        if batch_norm:  # the bias is redundant before batch normalization's shift
            out += [
                layers.Conv2D(_scaled(filters, width), k, padding="same", use_bias=False,
                              kernel_initializer=kernel_initializer, name=name),
                # momentum 0.9 (Keras' default is 0.99): the moving statistics that inference uses settle within
                # the few hundred steps of a classroom run
                layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn{conv}"),
                layers.Activation("relu", name=f"block{block}_relu{conv}"),
            ]
        else:
            out.append(layers.Conv2D(_scaled(filters, width), k, padding="same", activation="relu",
                                     kernel_initializer=kernel_initializer, name=name))
    if pool:
        out.append(layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool"))
    return out


def vgg_block(x, filters: int, convs: int, *, kernel_size: int = 3, batch_norm: bool = False, block: int = 1):
    """Apply one VGG block to the NHWC tensor ``x``: ``convs`` convolutions ('same', ReLU), then 2 x 2 max pooling.

    The functional form of one row's block (exercise 08.5 asks you to write it): an H x W x C input
    gives H/2 x W/2 x ``filters`` (rounded down), with ``(k*k*C+1)*filters`` parameters in the first
    convolution and ``(k*k*filters+1)*filters`` in each one after it.

    Example:
        >>> x = keras.Input((32, 32, 3))
        >>> model = keras.Model(x, vgg_block(x, 64, 2))
        >>> model.output_shape, model.count_params()
        ((None, 16, 16, 64), 38720)
    """
    if convs < 1:
        raise ValueError(f"a VGG block has at least one convolution, got convs={convs}")
    for layer in _block_layers([f"conv{kernel_size}-{filters}"] * convs, block, batch_norm=batch_norm):
        x = layer(x)
    return x


def _head_layers(
    head: str, num_classes: int, width: float, fc_units: int | None, dropout: float, kernel_initializer: str
) -> list[keras.layers.Layer]:
    if head not in ("paper", "small"):
        raise ValueError(f"head must be 'paper' (fc1, fc2 of 4,096 units) or 'small' (512 units), got {head!r}")
    units = _scaled(fc_units or (PAPER_FC_UNITS if head == "paper" else SMALL_FC_UNITS), width)
    return [
        layers.Flatten(name="flatten"),
        layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer, name="fc1"),
        layers.Dropout(dropout, name="drop1"),
        layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer, name="fc2"),
        layers.Dropout(dropout, name="drop2"),
        layers.Dense(num_classes, name="predictions"),  # logits
        layers.Activation("softmax", dtype="float32", name="softmax"),
    ]


def vgg_from_config(
    config: str | Sequence[str] = "D",
    input_shape: tuple[int, int, int] = (224, 224, 3),
    num_classes: int = 1000,
    *,
    width: float = 1.0,
    batch_norm: bool = False,
    head: str = "paper",
    fc_units: int | None = None,
    kernel_size: int | None = None,
    dropout: float = 0.5,
    pools: int = 5,
    resize_to: int | None = None,
    kernel_initializer: str = "glorot_uniform",
    name: str | None = None,
) -> keras.Model:
    """Build a VGG configuration (a name of :data:`VGG_CONFIGS` or a row of your own) as a Keras model.

    The paper's network: ``vgg_from_config("D")`` (VGG16, 138,357,544 parameters) and ``vgg_from_config("E")`` (VGG19) at
    224 x 224 x 3 with 1,000 classes, equal in parameters to ``keras.applications.VGG16/VGG19``.
    Options for experiments and small machines:

    - ``width`` scales every layer's filters and the FC units (0.5: 32 ... 256 filters);
    - ``batch_norm`` puts a ``BatchNormalization`` between each convolution and its ReLU;
    - ``head``: ``'paper'`` (fc1, fc2 of 4,096 units) or ``'small'`` (512), times ``width``, or ``fc_units``;
    - ``kernel_size``: the same receptive fields from larger kernels (:func:`config_blocks`);
    - ``pools``: how many blocks end with a 2 x 2 max pooling (the first ``pools``; the paper: 5);
    - ``resize_to``: a ``Resizing`` layer that upsamples each batch inside the model (CIFAR-10 to 224);
    - ``kernel_initializer``: Keras' default ``'glorot_uniform'``, or ``'he_normal'`` for deep ReLU stacks.

    Example:
        >>> model = vgg_from_config("A", input_shape=(32, 32, 3), num_classes=10, width=0.25, head="small")
        >>> model.get_layer("block5_pool").output.shape, model.get_layer("fc1").units
        ((None, 1, 1, 128), 128)
    """
    blocks = config_blocks(config, kernel_size)
    if not 0 <= pools <= len(blocks):
        raise ValueError(f"pools must be between 0 and {len(blocks)} (the number of blocks), got {pools}")
    if not width > 0:
        raise ValueError(f"width must be positive (1.0 = the paper's filters), got {width}")
    net: list = [keras.Input(input_shape, name="image")]
    if resize_to is not None:
        net.append(layers.Resizing(resize_to, resize_to, name=f"resize_{resize_to}"))
    for b, tokens in enumerate(blocks, start=1):
        net += _block_layers(tokens, b, width=width, batch_norm=batch_norm, pool=b <= pools,
                             kernel_initializer=kernel_initializer)
    net += _head_layers(head, num_classes, width, fc_units, dropout, kernel_initializer)
    if name is None:
        label = config if isinstance(config, str) else "custom"
        name = {"D": "vgg16", "E": "vgg19"}.get(label, f"vgg_{label.lower().replace('-', '_')}")
        if kernel_size not in (None, 3):
            name += f"_{kernel_size}x{kernel_size}"
    return keras.Sequential(net, name=name)


def vgg16(input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000, **options) -> keras.Model:
    """VGG16 (configuration D): 13 convolutions in five blocks, then fc1, fc2 and the classifier.

    Example:
        >>> vgg16().get_layer("fc1").count_params()     # 7*7*512 inputs, 4,096 units: fc6 of the paper
        102764544
    """
    return vgg_from_config("D", input_shape, num_classes, **options)


def vgg19(input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 1000, **options) -> keras.Model:
    """VGG19 (configuration E): 16 convolutions in five blocks, then fc1, fc2 and the classifier."""
    return vgg_from_config("E", input_shape, num_classes, **options)


def vgg16_small(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    num_classes: int = 10,
    width: float = 0.5,
    batch_norm: bool = True,
    dropout: float = 0.5,
    kernel_initializer: str = "he_normal",
    **options,
) -> keras.Model:
    """The classroom VGG16: the same 13-convolution stack for 32 x 32 images, narrower, with a small head.

    Width 0.5 (32, 64, 128, 256, 256 filters), batch normalization after each convolution, He
    initialization, 2 x 2 max pooling after blocks 1-4 only: a 32 x 32 image leaves block 5 as a
    2 x 2 map (the paper's 7 x 7 in miniature, so that :func:`fc_to_conv` has a window to slide),
    then fc1, fc2 (256 units each) and the classifier.

    Example:
        >>> model = vgg16_small()
        >>> model.get_layer("block5_relu3").output.shape, model.count_params()
        ((None, 2, 2, 256), 4017258)
    """
    options.setdefault("pools", 4)
    return vgg_from_config("D", input_shape, num_classes, width=width, batch_norm=batch_norm, head="small", dropout=dropout,
               kernel_initializer=kernel_initializer, name=options.pop("name", "vgg16_small"), **options)


def vgg_for_profile(kind: str, num_classes: int = 10, input_shape: tuple[int, int, int] = (32, 32, 3), **options) -> keras.Model:
    """Return the network a profile trains in notebook 08: ``'small'`` (CPU, 32 x 32) or ``'paper'`` (GPU, 224).

    ``'paper'`` is VGG16 with batch normalization and He initialization upsampling CIFAR-10 to
    224 x 224 inside the model (the classic-models tutorial's set-up, made trainable); build it inside
    ``with run.strategy.scope():``. ``options`` go to the builder (e.g. ``width`` for a quick test).

    Example:
        >>> vgg_for_profile("paper", width=0.125).get_layer("block5_pool").output.shape
        (None, 7, 7, 64)
    """
    if kind == "small":
        return vgg16_small(input_shape, num_classes, **options)
    if kind == "paper":
        options = {"batch_norm": True, "kernel_initializer": "he_normal", **options}
        return vgg_from_config("D", input_shape, num_classes, resize_to=224, name="vgg16_224", **options)
    raise ValueError(f"kind must be 'small' (classroom) or 'paper' (full profile), got {kind!r}")


def parameter_count(
    config: str | Sequence[str] = "D",
    input_side: int = 224,
    num_classes: int = 1000,
    *,
    channels: int = 3,
    fc_units: int = PAPER_FC_UNITS,
    kernel_size: int | None = None,
) -> int:
    """Count a configuration's parameters with the layer formulas of :mod:`course_utils.arithmetic`, building nothing.

    The paper's network (no batch norm, width 1, five poolings): each convolution
    ``(k*k*c_in+1)*filters``, then fc1 from the flattened ``side x side x 512`` map, fc2 and the
    classifier ``(n_in+1)*n_out``. Quick enough for a table of all six configurations at 224.

    Example:
        >>> parameter_count("A")
        132863336
    """
    side, c_in, total = input_side, channels, 0
    for tokens in config_blocks(config, kernel_size):
        for token in tokens:
            if token != "LRN":
                k, filters = (int(v) for v in _CONV.fullmatch(token).groups())
                total += arithmetic.conv_params(k, c_in, filters)
                c_in = filters
        side = arithmetic.pool_output_size(side, 2)
    total += arithmetic.dense_params(side * side * c_in, fc_units)
    total += arithmetic.dense_params(fc_units, fc_units) + arithmetic.dense_params(fc_units, num_classes)
    return total


def _block_text(tokens: Sequence[str]) -> str:
    """``('conv3-64', 'conv3-64')`` -> ``'conv3-64 x2'``; runs of the same layer are counted."""
    parts: list[list] = []
    for token in tokens:
        if parts and parts[-1][0] == token:
            parts[-1][1] += 1
        else:
            parts.append([token, 1])
    return ", ".join(token if n == 1 else f"{token} x{n}" for token, n in parts)


def config_table(configs: Sequence[str] | None = None, kernel_size: int | None = None) -> str:
    """Return the paper's Table 1 turned sideways, one row per configuration, with parameter counts beside Table 2's.

    Columns: weight layers, the layers of each block (a 2 x 2 max pooling ends each), the
    parameters counted by :func:`parameter_count` (224 x 224, 1,000 classes) and the paper's figure
    in millions (:data:`PAPER_PARAMS_MILLIONS`, "-" for a row the paper does not list).

    Example:
        >>> config_table(["A"]).splitlines()[2].split()[-2:]
        ['132,863,336', '133']
    """
    names = list(configs or VGG_CONFIGS)
    header = ["config", "weight layers", *(f"block {b}" for b in range(1, 6)), "parameters", "paper (millions)"]
    body = []
    for name in names:
        blocks = config_blocks(name, kernel_size)
        paper = PAPER_PARAMS_MILLIONS.get(name) if kernel_size in (None, 3) else None
        body.append([name, str(weight_layers(name, kernel_size)), *(_block_text(b) for b in blocks),
                     f"{parameter_count(name, kernel_size=kernel_size):,}", "-" if paper is None else str(paper)])
    return text_table(header, body, numeric=(1, 7, 8))


def fc_to_conv(
    model: keras.Model, input_shape: tuple[int | None, int | None, int] | None = None, *, copy_weights: bool = True
) -> keras.Model:
    """Return ``model`` with its dense head turned into convolutions: a fully convolutional copy.

    The first dense layer after ``Flatten`` reads an h x w x c map: it becomes an h x w convolution
    with the same weights (reshaped), every later dense layer a 1 x 1 convolution (the paper's
    test-time network: fc6 -> 7 x 7, fc7 and fc8 -> 1 x 1 at 224). At the training size the copy
    outputs the same scores as a 1 x 1 map; on a larger image it slides and outputs a map of class
    scores. The copy has its own weights (layers rebuilt from their configs) and accepts any image
    size (``input_shape`` defaults to ``(None, None, channels)``). Works on Sequential models and
    functional models that are a single chain of layers. ``copy_weights=False`` builds the same
    architecture without copying (for a shapes-only model of
    :func:`course_utils.comparison.build_shapes_only`, whose weights have no values).

    Example:
        >>> small = vgg_from_config("A", (64, 64, 3), 10, width=0.125, head="small")
        >>> fc_to_conv(small, (96, 96, 3)).output_shape      # 2 x 2 map at 64 -> 3 x 3 at 96: 2 x 2 scores
        (None, 2, 2, 10)
    """
    chain = layer_chain(model)
    if chain is None:
        raise ValueError(f"fc_to_conv needs a Sequential model or a functional chain of layers; {model.name!r} branches")
    flats = [i for i, layer in enumerate(chain) if isinstance(layer, layers.Flatten)]
    if len(flats) != 1:
        raise ValueError(f"fc_to_conv needs exactly one Flatten layer before the dense head; {model.name!r} has {len(flats)}")
    flat = flats[0]
    resizing = [layer.name for layer in chain[:flat] if isinstance(layer, layers.Resizing)]
    if resizing:
        raise ValueError(f"{model.name!r} resizes its input (layer {resizing[0]!r}), so a larger image would be resized "
                         "back: build the model without resize_to and feed it images of the training size")
    h, w, c = chain[flat].input.shape[1:]
    c_in = model.input_shape[-1]
    net: list = [keras.Input(input_shape or (None, None, c_in), name="image")]
    copies: list[tuple[keras.layers.Layer, list]] = []
    for layer in chain[:flat]:
        clone = layer.__class__.from_config(layer.get_config())
        net.append(clone)
        copies.append((clone, layer.get_weights() if copy_weights else []))
    window = (h, w)
    for layer in chain[flat + 1:]:
        if isinstance(layer, layers.Dense):
            conv = layers.Conv2D(layer.units, window, activation=layer.activation, use_bias=layer.use_bias,
                                 dtype=layer.dtype_policy, name=layer.name)
            net.append(conv)
            if copy_weights:
                kernel, *bias = layer.get_weights()
                copies.append((conv, [kernel.reshape(*window, -1, layer.units), *bias]))
            window = (1, 1)
        elif isinstance(layer, (layers.Dropout, layers.Activation, layers.Softmax, layers.ReLU)):
            clone = layer.__class__.from_config(layer.get_config())
            net.append(clone)
            copies.append((clone, []))
        else:
            raise ValueError(f"fc_to_conv knows Dense, Dropout and activation layers after Flatten; {layer.name!r} is a "
                             f"{type(layer).__name__}")
    converted = keras.Sequential(net, name=f"{model.name}_fully_conv")
    for layer, weights in copies:
        if weights:
            layer.set_weights(weights)
    return converted


IMAGENET_FILES = ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "imagenet_class_index.json")
"""What ``keras.applications.VGG16(weights="imagenet")`` and ``decode_predictions`` read from the Keras cache."""


def cached_imagenet_weights() -> Path | None:
    """Return the path of VGG16's ImageNet weights when they and the class index are in the Keras cache, else None.

    Looks in ``$KERAS_HOME/models`` (default ``~/.keras/models``), where Keras keeps what it
    downloaded; never downloads anything. With a path, ``keras.applications.VGG16(weights=str(path))``
    loads offline and ``decode_predictions`` finds its class names.

    Example:
        >>> path = cached_imagenet_weights()
        >>> path is None or path.name == IMAGENET_FILES[0]
        True
    """
    folder = current().settings.keras_home / "models"
    if all((folder / name).is_file() for name in IMAGENET_FILES):
        return folder / IMAGENET_FILES[0]
    return None


register_model(
    "vgg16", year=2014, family="VGG", builder=vgg16, input_shape=(224, 224, 3), notebook="08_vgg16",
    description="Simonyan and Zisserman's configuration D: 13 convolutions 3 x 3 in five blocks, fc 4,096-4,096-1,000",
)
register_model(
    "vgg19", year=2014, family="VGG", builder=vgg19, input_shape=(224, 224, 3), notebook="08_vgg16",
    description="configuration E: 16 convolutions 3 x 3 in five blocks, the same classifier as VGG16",
)
register_model(
    "vgg16_small", year=None, family="VGG", builder=vgg16_small, input_shape=(32, 32, 3), notebook="08_vgg16",
    description="VGG16's 13-convolution stack with batch norm and a 256-unit head, for CIFAR-10: half width as "
                "registered; notebook 08 trains the width its profile sets (recorded with each run)",
)
