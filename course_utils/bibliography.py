"""The course's sources, named once: the five tutorial articles it was designed from and the papers
it reproduces, each with the handle that notebooks, the README and docstrings cite it by.

A source article is cited by its handle ("Sucky 2023", "the classic-models tutorial"); a paper by
its authors and year, with the table or figure where it matters ("Simonyan and Zisserman 2015,
Table 2"). :func:`cite` builds that text and refuses a key that is not here, so a citation cannot
drift from its entry. The README's and 00's Sources sections are generated from this module
(``make sync``).

Example:
    >>> cite("vgg", "Table 2")
    'Simonyan and Zisserman 2015, Table 2'
    >>> ARTICLES["mini_vgg"].handle
    'Sucky 2023'
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES_LINK = "00_start_here.ipynb#Sources"  # where a notebook links a handle to


@dataclass(frozen=True)
class Article:
    """One of the five tutorial articles (in Chinese) the course was designed from.

    ``title`` is the article's own title, ``title_en`` its meaning in English; ``author``, ``date`` and
    ``address`` are what the copy gives (None where it gives nothing); ``original`` is the English
    article a translation says it renders, with its address; ``takes`` is what the course uses it for.
    """

    key: str
    handle: str
    title: str | None
    title_en: str
    author: str | None
    date: str | None
    address: str | None
    original: str | None
    takes: str

    def reference(self) -> str:
        """The full reference as one Markdown line (handle, title, author, date, where to find it)."""
        named = f"{self.title} ({self.title_en})" if self.title else f"untitled in the copy ({self.title_en})"
        parts = [f"**{self.handle}**: {named}"]
        parts.append(f"by {self.author}" if self.author else "author not given in the copy")
        parts.append(self.date or "undated in the copy")
        if self.original:
            parts.append(f"a Chinese translation of {self.original}")
        elif self.address:
            parts.append(f"<{self.address}>")
        else:
            parts.append("original address not given in the copy")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class Paper:
    """A paper the course reproduces or cites: ``authors`` as cited ("Simonyan and Zisserman")."""

    key: str
    authors: str
    year: int
    title: str
    venue: str
    url: str

    @property
    def handle(self) -> str:
        return f"{self.authors} {self.year}"

    def reference(self) -> str:
        return f"**{self.handle}**: [{self.title}]({self.url}). {self.venue}."


ARTICLES: dict[str, Article] = {a.key: a for a in (
    Article("captcha", "the VGG16-CAPTCHA tutorial",
            None, "a tutorial on VGG16 that ends with a network reading CAPTCHAs; its images are hosted by Baidu",
            None, None, None, None,
            "images as arrays, convolution, padding, pooling, flatten, dense and dropout, then a VGG16 with "
            "batch norm that reads 4-digit CAPTCHAs (60 x 160 x 1, four softmax heads): notebooks 01-05 and 09"),
    Article("fanrencli", "Fanrencli 2021",
            "VGG / 深度学习神经网络特征提取（二）", "VGG: feature extraction with deep networks, part 2",
            "Fanrencli", "2021-04-18", None, None,
            "a VGG16 layer listing in Keras for 224 x 224 x 3, whose shape comments the course recomputes: notebook 08"),
    Article("vgg_overview", "the mlearning.ai VGG article",
            "VGG——深度卷积神经网络", "VGG: a very deep convolutional network",
            None, None, "https://medium.com/mlearning-ai/vgg-very-deep-convolution-neural-network-4a544fb9fd9b",
            "*VGG — Very Deep Convolution Neural Network* (mlearning.ai on Medium, "
            "<https://medium.com/mlearning-ai/vgg-very-deep-convolution-neural-network-4a544fb9fd9b>)",
            "the VGG background: ILSVRC, 3 x 3 filters and receptive fields, the configurations, "
            "138 M parameters: notebook 08"),
    Article("classics", "the classic-models tutorial",
            "深度学习04-CNN经典模型", "Deep learning 04: classic CNN models",
            None, "2025-09-18", None, None,
            "LeNet-5 layer by layer, AlexNet, VGG A-E, GoogLeNet and Inception v1-v4, with Keras listings for "
            "LeNet on MNIST and AlexNet / VGG16 on CIFAR-10 resized to 224: notebooks 06, 07, 08, 11"),
    Article("mini_vgg", "Sucky 2023",
            "完整实现一个用于图像识别的迷你 VGG 网络", "a complete mini-VGG network for image recognition",
            "Rashida Nasrin Sucky", "2023-02-27",
            "https://towardsdatascience.com/complete-implementation-of-a-mini-vgg-network-for-image-recognition-849299480356",
            "*Complete Implementation of a Mini VGG Network for Image Recognition* by Rashida Nasrin Sucky "
            "(Towards Data Science, 2023-02-27, <https://towardsdatascience.com/"
            "complete-implementation-of-a-mini-vgg-network-for-image-recognition-849299480356>)",
            "a mini-VGG with batch norm on CIFAR-10, two variants and their reported accuracies: notebook 10"),
)}

PAPERS: dict[str, Paper] = {p.key: p for p in (
    Paper("lenet", "LeCun et al.", 1998, "Gradient-based learning applied to document recognition",
          "Proceedings of the IEEE 86(11), 2278-2324", "http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf"),
    Paper("backprop", "Rumelhart et al.", 1986, "Learning representations by back-propagating errors",
          "Nature 323, 533-536", "https://doi.org/10.1038/323533a0"),
    Paper("cifar", "Krizhevsky", 2009, "Learning multiple layers of features from tiny images",
          "Technical report, University of Toronto", "https://www.cs.toronto.edu/~kriz/learning-features-2009-TR.pdf"),
    Paper("alexnet", "Krizhevsky et al.", 2012, "ImageNet classification with deep convolutional neural networks",
          "NeurIPS 2012", "https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html"),
    Paper("nin", "Lin et al.", 2014, "Network in network", "ICLR 2014", "https://arxiv.org/abs/1312.4400"),
    Paper("dropout", "Srivastava et al.", 2014, "Dropout: a simple way to prevent neural networks from overfitting",
          "JMLR 15, 1929-1958", "https://jmlr.org/papers/v15/srivastava14a.html"),
    Paper("overfeat", "Sermanet et al.", 2014, "OverFeat: integrated recognition, localization and detection using "
          "convolutional networks", "ICLR 2014", "https://arxiv.org/abs/1312.6229"),
    Paper("zfnet", "Zeiler and Fergus", 2014, "Visualizing and understanding convolutional networks", "ECCV 2014",
          "https://arxiv.org/abs/1311.2901"),
    Paper("vgg", "Simonyan and Zisserman", 2015, "Very deep convolutional networks for large-scale image recognition",
          "ICLR 2015", "https://arxiv.org/abs/1409.1556"),
    Paper("googlenet", "Szegedy et al.", 2015, "Going deeper with convolutions", "CVPR 2015",
          "https://arxiv.org/abs/1409.4842"),
    Paper("batchnorm", "Ioffe and Szegedy", 2015,
          "Batch normalization: accelerating deep network training by reducing internal covariate shift",
          "ICML 2015", "https://arxiv.org/abs/1502.03167"),
    Paper("he_init", "He et al.", 2015, "Delving deep into rectifiers", "ICCV 2015", "https://arxiv.org/abs/1502.01852"),
    Paper("adam", "Kingma and Ba", 2015, "Adam: a method for stochastic optimization", "ICLR 2015",
          "https://arxiv.org/abs/1412.6980"),
    Paper("inception_v3", "Szegedy et al.", 2016, "Rethinking the Inception architecture for computer vision",
          "CVPR 2016", "https://arxiv.org/abs/1512.00567"),
    Paper("resnet", "He et al.", 2016, "Deep residual learning for image recognition", "CVPR 2016",
          "https://arxiv.org/abs/1512.03385"),
    Paper("inception_v4", "Szegedy et al.", 2017,
          "Inception-v4, Inception-ResNet and the impact of residual connections on learning", "AAAI 2017",
          "https://arxiv.org/abs/1602.07261"),
    Paper("xception", "Chollet", 2017, "Xception: deep learning with depthwise separable convolutions", "CVPR 2017",
          "https://arxiv.org/abs/1610.02357"),
    Paper("mobilenet", "Howard et al.", 2017, "MobileNets: efficient convolutional neural networks for mobile "
          "vision applications", "arXiv", "https://arxiv.org/abs/1704.04861"),
    Paper("gradcam", "Selvaraju et al.", 2017, "Grad-CAM: visual explanations from deep networks via "
          "gradient-based localization", "ICCV 2017", "https://arxiv.org/abs/1610.02391"),
    Paper("clr", "Smith", 2017, "Cyclical learning rates for training neural networks", "WACV 2017",
          "https://arxiv.org/abs/1506.01186"),
    Paper("superconvergence", "Smith and Topin", 2018, "Super-convergence: very fast training of neural networks "
          "using large learning rates", "arXiv", "https://arxiv.org/abs/1708.07120"),
    Paper("fashion_mnist", "Xiao et al.", 2017, "Fashion-MNIST: a novel image dataset for benchmarking machine "
          "learning algorithms", "arXiv", "https://arxiv.org/abs/1708.07747"),
    Paper("rethinking", "Zhang et al.", 2017, "Understanding deep learning requires rethinking generalization",
          "ICLR 2017", "https://arxiv.org/abs/1611.03530"),
    Paper("ctc", "Graves et al.", 2006, "Connectionist temporal classification: labelling unsegmented sequence "
          "data with recurrent neural networks", "ICML 2006", "https://www.cs.toronto.edu/~graves/icml_2006.pdf"),
)}


def cite(key: str, where: str | None = None) -> str:
    """Return the citation text for a paper or source article, optionally with the place in it.

    Example:
        >>> cite("lenet"), cite("classics")
        ('LeCun et al. 1998', 'the classic-models tutorial')
    """
    entry = PAPERS.get(key) or ARTICLES.get(key)
    if entry is None:
        known = ", ".join(sorted({*PAPERS, *ARTICLES}))
        raise KeyError(f"no source {key!r} in course_utils.bibliography; known keys: {known}")
    return entry.handle if where is None else f"{entry.handle}, {where}"


def handles() -> list[str]:
    """Every handle a notebook may cite (articles then papers), for the tests that check citations."""
    return [a.handle for a in ARTICLES.values()] + [p.handle for p in PAPERS.values()]


def sources_markdown() -> str:
    """The Sources section's body (README and notebook 00), in Markdown.

    Example:
        >>> "Sucky 2023" in sources_markdown() and "Simonyan and Zisserman 2015" in sources_markdown()
        True
    """
    lines = ["The course was designed from five tutorial articles in Chinese. It states their facts and "
             "figures in its own words and code, and where their arithmetic slips it computes the right "
             "value and says so. Each is cited by the handle in bold.", ""]
    for a in ARTICLES.values():
        lines.append(f"- {a.reference()} The course takes from it: {a.takes}.")
    lines += ["", "The papers the course reproduces or cites, cited as author and year (with the table or "
              "figure where it matters, as in \"Simonyan and Zisserman 2015, Table 2\"):", ""]
    for p in sorted(PAPERS.values(), key=lambda p: (p.authors.split()[0], p.year)):
        lines.append(f"- {p.reference()}")
    return "\n".join(lines)
