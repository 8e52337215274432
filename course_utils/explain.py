"""Looking inside a trained network: feature maps of any layer and Grad-CAM heat maps, with ``tf.GradientTape``.

One forward pass (:func:`_forward`) serves both: it runs the model layer by layer, keeps the outputs
of the layers asked for and returns the class scores *before* the softmax (the logits). That avoids
two traps learners hit with the usual recipe ``keras.Model(model.inputs, layer.output)``:

- "Graph disconnected" or "layer ... has never been called": a layer inside a nested model (a
  ``vgg16`` base used as a layer) is not in the outer model's graph, and a Sequential model built
  without ``keras.Input`` has no graph at all. Here nested models are entered and run layer by
  layer; a Sequential model that was never called is built by the call.
- Saturated gradients: when the softmax says 0.9999, the gradient of the probability is nearly 0
  everywhere. Grad-CAM differentiates the logit of the class, which does not saturate.

Grad-CAM (Selvaraju et al. 2017): for a class ``c`` and the maps ``A`` (h x w x K) of a layer, the
weight of map ``k`` is the mean over positions of ``d logit_c / d A_k``, and the heat map is
``ReLU(sum_k weight_k * A_k)``, scaled to [0, 1] per image: where the maps that raise the class
score are active.

Example:
    >>> import numpy as np
    >>> from course_utils.models import vgg_from_config
    >>> model = vgg_from_config("A", (32, 32, 3), 10, width=0.125, head="small")
    >>> grad_cam(model, np.zeros((2, 32, 32, 3), "float32")).shape      # last conv layer: 2 x 2 maps
    (2, 2, 2)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf


def layer_chain(model: keras.Model) -> list[keras.layers.Layer] | None:
    """Return the layers of ``model`` in order when each feeds the next (Sequential, or a functional chain); else None.

    Input layers are left out. A functional model with branches (Inception, ResNet) returns None.

    Example:
        >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="d")])
        >>> [layer.name for layer in layer_chain(m)]
        ['d']
    """
    if isinstance(model, keras.Sequential):
        return list(model.layers)
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        return None
    if len(inputs) != 1 or len(outputs) != 1:
        return None
    chain, previous = [], inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            if layer.input is not previous:
                return None
        except (AttributeError, ValueError):
            return None
        chain.append(layer)
        previous = layer.output
    return chain if previous is outputs[0] else None


def _contains(model: keras.Model, name: str) -> bool:
    """True when a layer called ``name`` is ``model``'s own or inside one of its nested models."""
    return any(layer.name == name or (isinstance(layer, keras.Model) and _contains(layer, name)) for layer in model.layers)


def _is_softmax(layer) -> bool:
    activation = getattr(layer, "activation", None)
    return isinstance(layer, keras.layers.Softmax) or getattr(activation, "__name__", "") == "softmax"


@contextlib.contextmanager
def _linear(layer) -> Iterator[None]:
    """Inside the block, ``layer`` (a Dense or Conv with a softmax activation) outputs its logits."""
    saved = layer.activation
    layer.activation = keras.activations.linear
    try:
        yield
    finally:
        layer.activation = saved


def _logits_of_last(layer, x):
    """Call the model's last layer without its softmax: a softmax layer passes its input through."""
    if not _is_softmax(layer):
        return layer(x, training=False)
    if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
        return x
    with _linear(layer):
        return layer(x, training=False)


def _forward(
    model: keras.Model, x, names: set[str], found: dict[str, Any], tape=None, logits: bool = True, stop: bool = False
):
    """Run ``model`` on ``x``, keeping the outputs of the layers in ``names``; return the scores (logits if asked).

    Chains (Sequential, functional chains) run layer by layer, nested models recursively; a
    branching functional model runs as a sub-model that also outputs the layers asked for. With
    ``stop`` the run ends once every layer asked for has run (feature maps of an image larger than
    the training size then never reach the dense head).
    """
    chain = layer_chain(model)
    if chain is None:
        return _forward_graph(model, x, names, found, tape, logits)
    for i, layer in enumerate(chain):
        last = logits and i == len(chain) - 1
        if isinstance(layer, keras.Model) and (last or any(_contains(layer, n) for n in names)):
            x = _forward(layer, x, names, found, tape, logits=last, stop=stop)
        elif last:
            x = _logits_of_last(layer, x)
        else:
            x = layer(x, training=False)
        if layer.name in names:
            if tape is not None:
                tape.watch(x)
            found[layer.name] = x
        if stop and names <= found.keys():
            break
    return x


def _forward_graph(model: keras.Model, x, names: set[str], found: dict[str, Any], tape, logits: bool):
    """The branching case: one sub-model from the inputs to the layers asked for and to the last layer's input."""
    own = [n for n in names if any(layer.name == n for layer in model.layers)]
    nested = [n for n in names if n not in own and _contains(model, n)]
    if nested:
        raise ValueError(f"layer(s) {nested} sit inside a model nested in the branching model {model.name!r}; "
                         "pass that nested model itself (or a layer of the outer model)")
    last = model.layers[-1]
    try:
        sub = keras.Model(model.inputs, [model.get_layer(n).output for n in own] + [last.input])
    except ValueError as e:
        raise ValueError(f"cannot follow {model.name!r}: {e}. Build it with keras.Input(...) first") from e
    if tape is not None:
        for weight in model.weights:  # record every operation, also with frozen (non-trainable) weights
            tape.watch(weight.value)
    *maps, before_last = sub(x, training=False)
    found.update(zip(own, maps))
    return _logits_of_last(last, before_last) if logits else last(before_last, training=False)


def _all_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer


def last_conv_layer(model: keras.Model) -> str:
    """Return the name of the last convolution of ``model`` (nested models included): Grad-CAM's usual layer.

    Example:
        >>> from course_utils.models import vgg16
        >>> last_conv_layer(vgg16())
        'block5_conv3'
    """
    convs = [layer.name for layer in _all_layers(model) if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError(f"{model.name!r} has no Conv2D layer; pass layer= the name of a layer with H x W x C outputs")
    return convs[-1]


def _images(images) -> Any:
    x = tf.convert_to_tensor(np.asarray(images), tf.float32)
    if x.shape.rank == 3:
        x = x[None]
    if x.shape.rank != 4:
        raise ValueError(f"images must be one H x W x C image or an N x H x W x C batch, got shape {tuple(x.shape)}")
    return x


def feature_maps(model: keras.Model, images, layer_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Return ``{layer name: its output}`` for NHWC ``images`` (one H x W x C image is made a batch of 1).

    Works on Sequential models (built or not), functional models and layers inside nested models;
    the run stops after the last layer asked for, so a convolutional layer also reads larger images.

    Example:
        >>> from course_utils.models import vgg_from_config
        >>> model = vgg_from_config("A", (32, 32, 3), 10, width=0.125, head="small")
        >>> maps = feature_maps(model, np.zeros((32, 32, 3), "float32"), ["block1_conv1", "block3_pool"])
        >>> {name: m.shape for name, m in maps.items()}
        {'block1_conv1': (1, 32, 32, 8), 'block3_pool': (1, 4, 4, 32)}
    """
    names = list(layer_names)
    missing = [n for n in names if not _contains(model, n)]
    if missing:
        raise ValueError(f"no layer named {missing} in {model.name!r}; its layers: "
                         f"{', '.join(layer.name for layer in _all_layers(model))}")
    found: dict[str, Any] = {}
    _forward(model, _images(images), set(names), found, logits=False, stop=True)
    return {n: keras.ops.convert_to_numpy(found[n]).astype(np.float32) for n in names}


def class_scores(model: keras.Model, images) -> np.ndarray:
    """Return the logits (scores before the softmax), shape (N, classes): what Grad-CAM differentiates."""
    return keras.ops.convert_to_numpy(_forward(model, _images(images), set(), {})).astype(np.float32)


def grad_cam(
    model: keras.Model,
    images,
    class_index: int | Sequence[int] | None = None,
    layer: str | None = None,
    score: str = "logit",
) -> np.ndarray:
    """Return Grad-CAM heat maps, shape (N, h, w) in [0, 1], at the resolution of ``layer``'s maps.

    ``class_index``: one class for all images, one per image, or None for each image's predicted
    class. ``layer`` defaults to the last convolution (:func:`last_conv_layer`). ``score='logit'``
    differentiates the class score before the softmax (the right choice); ``'probability'``
    differentiates after it, to see how saturation flattens the gradient. A map of zeros means no
    position raises the class score. Enlarge a map to the image with :func:`upsample`.

    Example:
        >>> from course_utils.models import vgg_from_config
        >>> model = vgg_from_config("A", (32, 32, 3), 10, width=0.125, head="small")
        >>> cams = grad_cam(model, np.random.default_rng(0).random((3, 32, 32, 3)), class_index=[0, 1, 2])
        >>> cams.shape, bool(cams.min() >= 0 and cams.max() <= 1)
        ((3, 2, 2), True)
    """
    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' (before the softmax) or 'probability', got {score!r}")
    name = layer or last_conv_layer(model)
    if not _contains(model, name):
        raise ValueError(f"no layer named {name!r} in {model.name!r}")
    x = _images(images)
    found: dict[str, Any] = {}
    with tf.GradientTape() as tape:
        logits = tf.cast(_forward(model, x, {name}, found, tape), tf.float32)
        maps = found[name]
        if class_index is None:
            classes = tf.argmax(logits, axis=-1, output_type=tf.int32)
        else:
            classes = tf.broadcast_to(tf.constant(class_index, tf.int32), [x.shape[0]])
        scores = tf.nn.softmax(logits) if score == "probability" else logits
        # each image's score depends on its own maps only, so one gradient of the sum gives them all
        total = tf.reduce_sum(tf.gather(scores, classes, axis=1, batch_dims=1))
    grads = tape.gradient(total, maps)
    if grads is None:
        raise ValueError(f"the scores do not depend on layer {name!r}: choose a layer before the classifier")
    if maps.shape.rank != 4:
        raise ValueError(f"Grad-CAM needs a layer with N x H x W x C outputs; {name!r} outputs shape {tuple(maps.shape)}")
    maps, grads = tf.cast(maps, tf.float32), tf.cast(grads, tf.float32)
    weights = tf.reduce_mean(grads, axis=(1, 2))  # (N, K): how much each map raises the score, on average
    cams = tf.nn.relu(tf.einsum("nhwk,nk->nhw", maps, weights)).numpy()
    peaks = cams.max(axis=(1, 2), keepdims=True)
    return np.where(peaks > 0, cams / np.where(peaks > 0, peaks, 1.0), 0.0).astype(np.float32)


def upsample(cams: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Return heat maps (N, h, w) enlarged to ``size`` (height, width) by bilinear interpolation.

    Example:
        >>> upsample(np.ones((1, 2, 2), "float32"), (32, 32)).shape
        (1, 32, 32)
    """
    cams = np.asarray(cams, np.float32)
    return tf.image.resize(cams[..., None], size, method="bilinear").numpy()[..., 0]


def overlay(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Return an RGB image in [0, 1]: ``image`` blended with ``cam`` (h x w, enlarged to fit) in the ``inferno`` colours.

    Example:
        >>> overlay(np.zeros((32, 32, 3)), np.ones((2, 2))).shape
        (32, 32, 3)
    """
    image = np.asarray(image, np.float32)
    if image.max() > 1.0:
        image = image / 255.0
    if image.ndim == 2 or image.shape[-1] == 1:
        image = np.repeat(image.reshape(*image.shape[:2], 1), 3, axis=-1)
    heat = upsample(np.asarray(cam)[None], image.shape[:2])[0]
    colours = matplotlib.colormaps["inferno"](np.clip(heat, 0, 1))[..., :3]
    return np.clip((1 - alpha) * image + alpha * colours, 0, 1)


def plot_grad_cam(
    images: np.ndarray, cams: np.ndarray, titles: Sequence[str], title: str, cols: int = 8, size: float = 1.5
) -> None:
    """Show each image above its Grad-CAM overlay, captioned (e.g. ``"cat (dog)"`` for predicted (true))."""

    n = len(images)
    if n == 0:
        raise ValueError("plot_grad_cam needs at least one image")
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(2 * rows, cols, figsize=(cols * size, 2 * rows * size * 1.1), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        r, c = 2 * (i // cols), i % cols
        image = np.asarray(images[i], np.float32)
        # nearest: the image's own pixels, not smoothed ones (and a much smaller figure file)
        axes[r, c].imshow(image / 255.0 if image.max() > 1.0 else image, interpolation="nearest")
        axes[r, c].set_title(titles[i], fontsize=7)
        axes[r + 1, c].imshow(overlay(image, cams[i]), interpolation="nearest")
    fig.suptitle(f"{title} (top: image; below: Grad-CAM, bright = raises the class score)")
    fig.tight_layout()
    plt.show()
