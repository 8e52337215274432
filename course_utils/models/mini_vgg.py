"""Mini-VGG (notebook 10): Sucky 2023's two small VGG-style networks for CIFAR-10, from one builder.

Both stack two blocks of two 3 x 3 convolutions, each followed by a ReLU and then batch
normalization (the order of the widely copied MiniVGGNet: convolution, ReLU, batch norm), a 2 x 2
max pooling and 25 % dropout; then a dense layer with ReLU, batch norm and dropout, and the
classifier. They differ in widths and the last dropout:

- ``"v1"``, the common MiniVGGNet: 32 then 64 filters, 512 dense units, 50 % dropout;
- ``"v2"``, Sucky 2023's variant: 64 filters in both blocks, 256 dense units, 40 % dropout.

The classifier ends as in notebook 08: ``predictions`` outputs the logits and a separate float32
``softmax`` layer the probabilities (safe under mixed precision on a GPU).

Example:
    >>> mini_vgg("v1").count_params(), mini_vgg("v2").count_params()
    (2171178, 1166026)
    >>> mini_vgg("v2").get_layer("fc1").units
    256
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from .registry import register_model

MINI_VGG_VERSIONS: dict[str, dict[str, object]] = {
    "v1": {"filters": (32, 64), "dense_units": 512, "dense_dropout": 0.5},
    "v2": {"filters": (64, 64), "dense_units": 256, "dense_dropout": 0.4},
}
"""Sucky 2023's two networks: filters per block, units of the dense layer, dropout before the classifier."""

CONV_DROPOUT = 0.25  # after each block's pooling, in both versions



def _scaled(n: int, width: float) -> int:
    return max(1, round(n * width))


def mini_vgg(
    version: str = "v1",
    input_shape: tuple[int, int, int] = (32, 32, 3),
    num_classes: int = 10,
    *,
    width: float = 1.0,
    filters: Sequence[int] | None = None,
    dense_units: int | None = None,
    conv_dropout: float = CONV_DROPOUT,
    dense_dropout: float | None = None,
    kernel_initializer: str = "glorot_uniform",
    name: str | None = None,
) -> keras.Model:
    """Build Sucky 2023's mini-VGG ``version`` ("v1" or "v2") on NHWC ``input_shape`` images.

    Each block: two ``[Conv2D 3 x 3 'same', ReLU, BatchNormalization]``, 2 x 2 max pooling,
    dropout ``conv_dropout``; then Flatten, Dense ``dense_units`` + ReLU + batch norm + dropout
    ``dense_dropout``, Dense ``num_classes`` (logits, ``predictions``) and softmax. ``filters``
    (one entry per block: more entries, more blocks), ``dense_units`` and ``dense_dropout`` override
    the version's values; ``width`` multiplies filters and dense units (the full profile's wider
    nets). Layers are named ``block1_conv1``, ``block1_relu1``, ``block1_bn1``, ..., ``fc1``.

    Example:
        >>> model = mini_vgg("v1", width=0.5)
        >>> model.get_layer("block2_pool").output.shape, model.get_layer("fc1").units
        ((None, 8, 8, 32), 256)
    """
    if version not in MINI_VGG_VERSIONS:
        raise ValueError(f"unknown mini-VGG version {version!r}; choose one of {', '.join(MINI_VGG_VERSIONS)}")
    if not width > 0:
        raise ValueError(f"width must be a positive multiplier of the filters and units, got {width}")
    spec = MINI_VGG_VERSIONS[version]
    block_filters = tuple(filters) if filters is not None else spec["filters"]
    units = dense_units if dense_units is not None else spec["dense_units"]
    last_dropout = dense_dropout if dense_dropout is not None else spec["dense_dropout"]
    side = min(input_shape[0], input_shape[1])
    if side < 2 ** len(block_filters):
        raise ValueError(f"{len(block_filters)} blocks halve the image {len(block_filters)} times: a {side}-pixel input is "
                         f"too small; use at least {2 ** len(block_filters)} pixels or fewer blocks")

    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for block, n in enumerate(block_filters, start=1):
        for conv in (1, 2):
            x = layers.Conv2D(_scaled(n, width), 3, padding="same", kernel_initializer=kernel_initializer,
                              name=f"block{block}_conv{conv}")(x)
            x = layers.Activation("relu", name=f"block{block}_relu{conv}")(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = layers.Dropout(conv_dropout, name=f"block{block}_drop")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(_scaled(units, width), kernel_initializer=kernel_initializer, name="fc1")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.BatchNormalization(name="fc1_bn")(x)
    x = layers.Dropout(last_dropout, name="fc1_drop")(x)
    x = layers.Dense(num_classes, name="predictions")(x)  # logits
    outputs = layers.Activation("softmax", dtype="float32", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name or f"mini_vgg_{version}")


def mini_vgg_v1(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10, **options) -> keras.Model:
    """Return the common MiniVGGNet (Sucky 2023's first network): ``mini_vgg("v1", ...)``."""
    return mini_vgg("v1", input_shape, num_classes, **options)


def mini_vgg_v2(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10, **options) -> keras.Model:
    """Return Sucky 2023's variant (64 filters throughout, 256 units, 40 % dropout): ``mini_vgg("v2", ...)``."""
    return mini_vgg("v2", input_shape, num_classes, **options)


register_model(
    "mini_vgg_v1", year=None, family="VGG", builder=mini_vgg_v1, input_shape=(32, 32, 3), notebook="10_mini_vgg",
    description="the widely copied MiniVGGNet: conv 32-32 and 64-64 with batch norm, dense 512, for CIFAR-10",
)
register_model(
    "mini_vgg_v2", year=None, family="VGG", builder=mini_vgg_v2, input_shape=(32, 32, 3), notebook="10_mini_vgg",
    description="Sucky 2023's variant of MiniVGGNet: 64 filters throughout, dense 256, 40 % dropout",
)
