"""The CAPTCHA reader of the VGG16-CAPTCHA tutorial (notebook 09): VGG16's 13 convolutions, 60 x 160 x 1, four heads.

The topology is VGG16's (configuration D of :data:`course_utils.models.vgg.VGG_CONFIGS`, built
with VGG's own block builder), set up the way the VGG16-CAPTCHA tutorial writes it: every convolution is
``Conv2D(3 x 3, 'same', he_uniform) -> BatchNormalization -> ReLU``, every block
ends with a 2 x 2 max pooling with ``padding='same'`` (60 x 160 -> 30 x 80 -> 15 x 40 -> 8 x 20 ->
4 x 10 -> 2 x 5), then Flatten, two dense layers with batch norm, ReLU and ``Dropout(0.4)``, and one
``Dense(10, softmax)`` head per character, ``func1`` ... ``func4``. ``width`` scales the filters,
``fc_units`` sets the dense layers (the tutorial's: 4,096).

:func:`read_captcha` turns an image (PIL image, file path or array, with or without batch and
channel axes) into the text a trained model reads; :func:`captcha_input` does the checks and
conversions.

Example:
    >>> vgg_captcha().count_params()                            # the VGG16-CAPTCHA tutorial's widths
    52679784
    >>> vgg_captcha(width=0.125).count_params()                 # the classroom network: every width / 8
    847472
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers
from PIL import Image

from .registry import register_model
from .vgg import PAPER_FC_UNITS, _block_layers, _scaled, config_blocks

CAPTCHA_SHAPE = (60, 160, 1)
"""The VGG16-CAPTCHA tutorial's input: 60 rows (height) x 160 columns (width) x 1 grey channel, NHWC, no batch axis."""

DIGITS = "0123456789"
HEADS = ("func1", "func2", "func3", "func4")
"""The output names the VGG16-CAPTCHA tutorial gives its four softmax heads, one per character, left to right."""


def vgg_captcha(
    input_shape: tuple[int, int, int] = CAPTCHA_SHAPE,
    num_classes: int = len(DIGITS),
    characters: int = len(HEADS),
    *,
    width: float = 1.0,
    fc_units: int | None = None,
    dropout: float = 0.4,
    name: str | None = None,
) -> keras.Model:
    """Build the VGG16-CAPTCHA tutorial's multi-output VGG16: one image in, ``characters`` softmax heads out.

    The convolution blocks are VGG's own (:mod:`course_utils.models.vgg`, layers ``block1_conv1``,
    ``block1_bn1``, ``block1_relu1`` ...; no bias in a convolution that batch norm follows, where
    the tutorial keeps one that the norm's shift makes redundant), each ending with ``block<b>_pool``
    ('same' padding); then ``fc1``/``fc2`` (each with ``bn_fc<i>``, ``act_fc<i>``, ``drop_fc<i>``)
    and the heads ``func1`` ... (a list of outputs, in that order). ``width`` scales every
    convolution's filters (0.125: 8 ... 64); ``fc_units`` defaults to 4,096 x ``width``.

    Example:
        >>> model = vgg_captcha(width=0.125, fc_units=128)
        >>> model.get_layer("block5_pool").output.shape, model.output_names
        ((None, 2, 5, 64), ['func1', 'func2', 'func3', 'func4'])
    """
    if not width > 0:
        raise ValueError(f"width must be positive (1.0 = the VGG16-CAPTCHA tutorial's 64 ... 512 filters), got {width}")
    if characters < 1:
        raise ValueError(f"a CAPTCHA reader needs at least one head, got characters={characters}")
    units = fc_units if fc_units is not None else _scaled(PAPER_FC_UNITS, width)
    image = keras.Input(input_shape, name="image")
    x = image
    for block, tokens in enumerate(config_blocks("D"), start=1):
        for layer in _block_layers(tokens, block, width=width, batch_norm=True, pool=False,
                                   kernel_initializer="he_uniform"):
            x = layer(x)
        # the VGG16-CAPTCHA tutorial pools with padding='same': an odd side rounds up (15 -> 8), VGG's 'valid' down
        x = layers.MaxPooling2D(2, padding="same", name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dense(units, kernel_initializer="he_uniform", name=f"fc{i}")(x)
        x = layers.BatchNormalization(name=f"bn_fc{i}")(x)
        x = layers.Activation("relu", name=f"act_fc{i}")(x)
        x = layers.Dropout(dropout, name=f"drop_fc{i}")(x)
    outputs = [layers.Dense(num_classes, activation="softmax", dtype="float32", name=f"func{i + 1}")(x)
               for i in range(characters)]
    return keras.Model(image, outputs, name=name or ("vgg_captcha" if width == 1 else f"vgg_captcha_w{width:g}"))


def captcha_for_profile(kind: str, **options: Any) -> keras.Model:
    """Return the network a profile trains: ``'small'`` (classroom: every width / 8) or ``'paper'`` (the tutorial's widths).

    ``'small'`` has 8 ... 64 filters and dense layers of 512 units (4,096 / 8). Dense layers of 128
    units learned much more slowly in the short trainings a CPU allows, and cost almost nothing
    less: nearly all the MACs are in the convolutions.

    Example:
        >>> captcha_for_profile("small").count_params()
        847472
        >>> captcha_for_profile("small", fc_units=128).count_params()  # the dense layers of 128 units tried first
        336752
    """
    if kind == "small":
        return vgg_captcha(**{"width": 0.125, "name": "vgg_captcha_small", **options})
    if kind == "paper":
        return vgg_captcha(**options)
    raise ValueError(f"kind must be 'small' (classroom) or 'paper' (full profile, the VGG16-CAPTCHA tutorial's "
                     f"widths), got {kind!r}")


def captcha_input(image: Any, input_shape: Sequence[int] = CAPTCHA_SHAPE) -> np.ndarray:
    """Return ``image`` as the float32 batch a CAPTCHA model reads: (N, 60, 160, 1), values in [0, 1].

    Accepts a PIL image, a file path (str or ``os.PathLike``), or an array: H x W (grey), H x W x 1,
    H x W x 3/4 (colour: converted to grey with PIL's weights), or a batch N x H x W x C. uint8
    arrays are divided by 255; float arrays must already be in [0, 1]. A wrong size or value range
    raises a ValueError that says what to do: nothing is resized or rescaled by guesswork.

    Example:
        >>> captcha_input(np.full((60, 160), 255, np.uint8)).shape
        (1, 60, 160, 1)
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    if isinstance(image, (str, os.PathLike)):
        with Image.open(image) as opened:
            image = opened.convert("L")
    if isinstance(image, Image.Image):
        if image.size != (width, height):
            raise ValueError(f"the image is {image.size[0]} x {image.size[1]} pixels; the model reads {width} x {height} "
                             f"(width x height): generate it at that size or resize it with image.resize(({width}, {height}))")
        image = np.asarray(image.convert("L"))
    array = np.asarray(image)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"expected a PIL image, a path or a numeric array, got an array of dtype {array.dtype}")
    if array.ndim == 2:  # one grey image without its channel axis
        array = array[..., None]
    if array.ndim == 3 and array.shape[:2] == (height, width):  # one image without its batch axis
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"expected one image (H x W or H x W x C) or a batch (N x H x W x C) of {height} x {width}, "
                         f"got shape {array.shape}")
    if array.shape[1:3] != (height, width):
        raise ValueError(f"the images are {array.shape[1]} x {array.shape[2]} (height x width); the model reads "
                         f"{height} x {width}: an array of {array.shape[2]} x {array.shape[1]} has its axes swapped")
    if array.shape[-1] in (3, 4):  # colour (alpha ignored): ITU-R 601 luma, as PIL's convert("L")
        array = array[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        array = array[..., None]
    elif array.shape[-1] != 1:
        raise ValueError(f"expected 1 (grey), 3 (RGB) or 4 (RGBA) channels, got {array.shape[-1]}")
    if np.issubdtype(np.asarray(image).dtype, np.integer):
        return (array / 255.0).astype(np.float32)
    if array.min() < 0 or array.max() > 1:
        raise ValueError(f"float images must hold values in [0, 1], got {array.min():.3g} ... {array.max():.3g}: "
                         "divide 0-255 values by 255 (or pass the uint8 array)")
    return array.astype(np.float32)


def read_captcha(model: keras.Model, image: Any, alphabet: str = DIGITS) -> str | list[str]:
    """Return the text ``model`` reads in ``image`` (one image: a string; a batch: a list of strings).

    ``image`` is anything :func:`captcha_input` accepts; each head's arg-max picks one character.

    Example:
        >>> model = vgg_captcha(width=0.0625, fc_units=8)
        >>> text = read_captcha(model, np.zeros((60, 160), np.uint8))
        >>> len(text), set(text) <= set(DIGITS)
        (4, True)
    """
    batch = captcha_input(image, model.input_shape[1:])
    outputs = model(batch, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    indices = np.stack([np.argmax(np.asarray(p), axis=-1) for p in outputs], axis=-1)
    texts = ["".join(alphabet[i] for i in row) for row in indices]
    is_batch = not isinstance(image, (str, os.PathLike)) and np.asarray(image).ndim == 4
    return texts if is_batch else texts[0]


register_model(
    "vgg_captcha", year=None, family="VGG", builder=vgg_captcha, input_shape=CAPTCHA_SHAPE, notebook="09_vgg_captcha",
    description="the CAPTCHA reader of the VGG16-CAPTCHA tutorial: VGG16's 13 convolutions with batch norm on 60 x 160 x 1, "
                "fc 4,096-4,096, four softmax heads of 10 digits",
)
