"""AlexNet (notebook 07): the 2012 paper's network, the classic-models tutorial's listing and a classroom-sized AlexNet.

Builders return uncompiled ``keras.Model`` objects on NHWC inputs, every layer named (conv1, lrn1,
pool1, ...). The final softmax is float32 so the models stay numerically safe under mixed precision.

Example:
    >>> alexnet_small().count_params()
    1158986
"""

from __future__ import annotations

import keras
from keras import layers

from ..layers import LocalResponseNormalization
from .registry import register_model


def alexnet_paper(
    groups: int = 1,
    num_classes: int = 1000,
    input_shape: tuple[int, int, int] = (227, 227, 3),
    dropout: float = 0.5,
) -> keras.Model:
    """AlexNet as in the 2012 paper, on 227 x 227 x 3 inputs (62,378,344 parameters as one tower).

    conv1 96@11x11/4 -> LRN -> max 3/2 -> conv2 256@5x5 (pad 2) -> LRN -> max 3/2 -> conv3 384@3x3
    -> conv4 384@3x3 -> conv5 256@3x3 -> max 3/2 -> fc6 4096 -> fc7 4096 -> fc8 ``num_classes``.
    ``groups=2`` expresses the paper's two-GPU split as grouped convolutions on conv2, conv4 and
    conv5 (each half sees only its own GPU's maps): 60,965,224 parameters. An ``input_shape`` other
    than 227 x 227 (for example CIFAR-10's 32 x 32 x 3) adds a ``Resizing`` layer that upsamples each
    batch inside the model, on the accelerator.

    Example:
        >>> alexnet_paper().count_params(), alexnet_paper(groups=2).count_params()
        (62378344, 60965224)
    """
    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 (one tower) or 2 (the paper's two-GPU split), got {groups}")
    net = [keras.Input(input_shape, name="image")]
    if tuple(input_shape[:2]) != (227, 227):
        net.append(layers.Resizing(227, 227, name="resize_227"))
    net += [
        layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
        LocalResponseNormalization(name="lrn1"),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        layers.Conv2D(256, 5, padding="same", groups=groups, activation="relu", name="conv2"),
        LocalResponseNormalization(name="lrn2"),
        layers.MaxPooling2D(3, strides=2, name="pool2"),
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),
        layers.Conv2D(384, 3, padding="same", groups=groups, activation="relu", name="conv4"),
        layers.Conv2D(256, 3, padding="same", groups=groups, activation="relu", name="conv5"),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(name="flatten"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(dropout, name="drop6"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(dropout, name="drop7"),
        layers.Dense(num_classes, name="fc8"),
        layers.Activation("softmax", dtype="float32", name="softmax"),
    ]
    return keras.Sequential(net, name=f"alexnet_paper{'_groups2' if groups == 2 else ''}")


def alexnet_classics_listing(input_shape: tuple[int, int, int] = (224, 224, 3), num_classes: int = 10) -> keras.Model:
    """The classic-models tutorial's AlexNet listing: 224 x 224 input, no padding on conv1, no LRN, ten classes.

    Same layer sizes as the paper, but 224 gives a 54 x 54 conv1 output (not 55) and a 5 x 5 x 256
    map before the classifier (not 6 x 6 x 256): 46,787,978 parameters.

    Example:
        >>> alexnet_classics_listing().get_layer("flatten").output.shape
        (None, 6400)
    """
    return keras.Sequential(
        [
            keras.Input(input_shape, name="image"),
            layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
            layers.MaxPooling2D(3, strides=2, name="pool1"),
            layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(3, strides=2, name="pool2"),
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4"),
            layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5"),
            layers.MaxPooling2D(3, strides=2, name="pool5"),
            layers.Flatten(name="flatten"),
            layers.Dense(4096, activation="relu", name="fc6"),
            layers.Dropout(0.5, name="drop6"),
            layers.Dense(4096, activation="relu", name="fc7"),
            layers.Dropout(0.5, name="drop7"),
            layers.Dense(num_classes, name="fc8"),
            layers.Activation("softmax", dtype="float32", name="softmax"),
        ],
        name="alexnet_classics_listing",
    )


def alexnet_small(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    num_classes: int = 10,
    width: float = 1.0,
    activation: str = "relu",
    dropout: float = 0.5,
    lrn: bool = True,
    pool: tuple[int, int] = (3, 2),
) -> keras.Model:
    """A classroom AlexNet for 32 x 32 images: the paper's five-conv / three-FC topology, scaled down.

    conv1 32@5x5 -> max 3/2 -> LRN -> conv2 96@5x5 -> max 3/2 -> LRN -> conv3 128@3x3 -> conv4
    128@3x3 -> conv5 96@3x3 -> max 3/2 -> fc6 512 -> fc7 512 -> fc8 ``num_classes`` (about a third of
    the paper's widths; all 'same' convolutions, stride 1). ``width`` scales every layer;
    ``activation`` ('relu', 'tanh', ...), ``dropout``, ``lrn`` and ``pool`` (window, stride) switch
    the paper's ideas on and off. ReLU layers start from He initialization, others from Glorot's
    (each activation with the initialization made for it).

    Example:
        >>> [alexnet_small().get_layer(n).output.shape[1] for n in ("pool1", "pool2", "pool5")]
        [15, 7, 3]
    """
    def w(n: int) -> int:
        return max(1, round(n * width))

    window, stride = pool
    init = "he_normal" if activation == "relu" else "glorot_uniform"

    def conv(filters: int, k: int, name: str):
        return layers.Conv2D(w(filters), k, padding="same", activation=activation, kernel_initializer=init, name=name)

    def dense(units: int, name: str):
        return layers.Dense(w(units), activation=activation, kernel_initializer=init, name=name)

    def norm(name: str) -> list:
        return [LocalResponseNormalization(name=name)] if lrn else []

    return keras.Sequential(
        [
            keras.Input(input_shape, name="image"),
            conv(32, 5, "conv1"),
            layers.MaxPooling2D(window, strides=stride, name="pool1"),
            *norm("lrn1"),  # after pooling (as in Caffe's reference model): 4.5x fewer values to normalize
            conv(96, 5, "conv2"),
            layers.MaxPooling2D(window, strides=stride, name="pool2"),
            *norm("lrn2"),
            conv(128, 3, "conv3"),
            conv(128, 3, "conv4"),
            conv(96, 3, "conv5"),
            layers.MaxPooling2D(window, strides=stride, name="pool5"),
            layers.Flatten(name="flatten"),
            dense(512, "fc6"),
            layers.Dropout(dropout, name="drop6"),
            dense(512, "fc7"),
            layers.Dropout(dropout, name="drop7"),
            layers.Dense(num_classes, name="fc8"),
            layers.Activation("softmax", dtype="float32", name="softmax"),
        ],
        name=f"alexnet_small_{activation}" if activation != "relu" else "alexnet_small",
    )


def alexnet_for_profile(kind: str, num_classes: int = 10, input_shape: tuple[int, int, int] = (32, 32, 3)) -> keras.Model:
    """Return the network a profile trains in notebook 07: ``'small'`` (CPU) or ``'paper'`` (GPU).

    ``'paper'`` is :func:`alexnet_paper` upsampling CIFAR-10 to 227 x 227 inside the model. Build it
    inside ``with run.strategy.scope():`` so that several GPUs share the work.

    Example:
        >>> alexnet_for_profile("small").name
        'alexnet_small'
    """
    if kind == "small":
        return alexnet_small(input_shape, num_classes)
    if kind == "paper":
        return alexnet_paper(num_classes=num_classes, input_shape=input_shape)
    raise ValueError(f"kind must be 'small' (classroom) or 'paper' (full profile), got {kind!r}")


register_model(
    "alexnet_paper", year=2012, family="AlexNet", builder=alexnet_paper, input_shape=(227, 227, 3), notebook="07_alexnet",
    description="Krizhevsky, Sutskever and Hinton 2012, one tower: ReLU, LRN, overlapping pooling, dropout, 1,000 classes",
)
register_model(
    "alexnet_small", year=None, family="AlexNet", builder=alexnet_small, input_shape=(32, 32, 3), notebook="07_alexnet",
    description="the paper's five-conv / three-FC topology at about a third of its widths, for 32 x 32 CIFAR-10 images",
)
