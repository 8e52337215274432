"""plotting.image_grid, confusion_matrix and misclassified, read back from the figures they draw (Agg backend)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from course_utils import plotting

NAMES = ["cat", "dog", "frog", "ship", "truck", "plane"]
WRONG_COLOUR = plotting.OKABE_ITO[3]  # a wrong prediction's caption


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _drawn(fig) -> list:
    """The axes of ``fig`` that show an image, in grid order."""
    return [ax for ax in fig.axes if ax.images]


def _numbered(n: int, side: int = 4) -> np.ndarray:
    """``n`` uint8 RGB images, image i filled with the value 10 * i, so that a drawn image says which it is."""
    return np.stack([np.full((side, side, 3), 10 * i, dtype=np.uint8) for i in range(n)])


def _which(ax) -> int:
    return int(np.asarray(ax.images[0].get_array()).mean()) // 10


def test_image_grid_lays_out_rows_of_cols_and_captions_with_class_names():
    plotting.image_grid(_numbered(10), labels=[0, 1, 2, 3, 4, 5, 0, 1, 2, 3], class_names=NAMES, cols=4, title="ten")
    fig = plt.gcf()
    assert len(fig.axes) == 12 and len(_drawn(fig)) == 10  # 3 rows of 4; the last 2 cells stay empty
    assert all(not ax.axison for ax in fig.axes)
    assert [_which(ax) for ax in _drawn(fig)] == list(range(10))
    assert [ax.get_title() for ax in _drawn(fig)] == NAMES[:6] + NAMES[:4]
    assert fig.get_suptitle() == "ten"
    assert _drawn(fig)[0].images[0].get_clim() == (0, 255)  # uint8: 0-255, not stretched to each image's range


def test_image_grid_marks_wrong_predictions_as_predicted_true():
    plotting.image_grid(_numbered(3), labels=[0, 1, 2], class_names=NAMES, predictions=[0, 2, 2])
    fig = plt.gcf()
    assert len(fig.axes) == 3  # fewer images than cols: one row of 3
    titles = [ax.title for ax in _drawn(fig)]
    assert [t.get_text() for t in titles] == ["cat", "frog (dog)", "frog"]
    assert [to_hex(t.get_color()) for t in titles] == ["#000000", WRONG_COLOUR.lower(), "#000000"]


def test_image_grid_draws_grey_images_grey_and_numbers_without_class_names():
    grey = np.random.default_rng(0).random((2, 5, 5, 1)).astype("float32")
    plotting.image_grid(grey, labels=np.array([[7], [3]]))  # (N, 1) labels, as Keras returns them
    axes = _drawn(plt.gcf())
    assert [ax.images[0].get_array().shape for ax in axes] == [(5, 5), (5, 5)]
    assert axes[0].images[0].get_cmap().name == "gray" and [ax.get_title() for ax in axes] == ["7", "3"]
    with pytest.raises(ValueError, match="at least one image"):
        plotting.image_grid(np.zeros((0, 4, 4, 3)))


def test_confusion_matrix_counts_and_labels():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    # rows true, columns predicted: cat 1 right, 1 as dog; dog 2 right, 1 as frog; frog 3 right, 1 as cat
    expected = [[1, 1, 0], [0, 2, 1], [1, 0, 3]]
    plotting.confusion_matrix(y_true, y_pred, NAMES[:3], title="toy")
    fig = plt.gcf()
    ax, colorbar = fig.axes  # the matrix and its colour bar
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text()) for t in ax.texts}
    assert cells == {(i, j): expected[i][j] for i in range(3) for j in range(3)}
    assert ax.get_title() == "toy (accuracy 66.7%)"  # 6 of 9 on the diagonal
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES[:3] == [t.get_text() for t in ax.get_yticklabels()]
    assert (ax.get_xlabel(), ax.get_ylabel(), colorbar.get_ylabel()) == ("predicted class", "true class", "images")
    # the count text stays readable: white on the dark low cells, black on the bright high ones
    colours = {int(t.get_text()): to_hex(t.get_color()) for t in ax.texts}
    assert colours[0] == colours[1] == "#ffffff" and colours[2] == colours[3] == "#000000"


def test_confusion_matrix_rejects_a_class_beyond_the_names():
    with pytest.raises(ValueError, match=r"y_true holds 3, outside the classes 0..2"):
        plotting.confusion_matrix([0, 3], [0, 1], NAMES[:3])


@pytest.mark.parametrize(("y_true", "y_pred", "says"), [
    ([0, -1], [0, 1], "y_true holds -1"),           # np.add.at would have counted it in the last class
    ([0, 1], [0, -1], "y_pred holds -1"),
    ([0, 1, 2], [0, 1], "y_true has 3 labels and y_pred 2"),
])
def test_confusion_counts_rejects_what_it_would_miscount(y_true, y_pred, says):
    with pytest.raises(ValueError, match=says):
        plotting.confusion_counts(y_true, y_pred, 3)


def test_misclassified_shows_exactly_the_wrong_ones():
    y_true = np.array([0, 1, 2, 3, 4, 5])
    y_pred = np.array([0, 2, 2, 0, 4, 1])  # wrong at 1, 3 and 5
    plotting.misclassified(_numbered(6), y_true, y_pred, NAMES)
    fig = plt.gcf()
    assert [_which(ax) for ax in _drawn(fig)] == [1, 3, 5]
    assert [ax.get_title() for ax in _drawn(fig)] == ["frog (dog)", "cat (ship)", "dog (plane)"]
    assert fig.get_suptitle() == "3 of 3 misclassified: predicted (true)"


def test_misclassified_shows_at_most_n_and_says_how_many_there_were():
    y_true = np.arange(6).reshape(-1, 1)  # (N, 1) labels, as Keras returns them
    y_pred = np.array([1, 1, 3, 3, 5, 5])  # wrong at 0, 2 and 4
    plotting.misclassified(_numbered(6), y_true, y_pred, NAMES, n=2)
    fig = plt.gcf()
    assert [_which(ax) for ax in _drawn(fig)] == [0, 2]
    assert fig.get_suptitle() == "2 of 3 misclassified: predicted (true)"


def test_misclassified_with_none_wrong_draws_nothing(capsys):
    plotting.misclassified(_numbered(3), [0, 1, 2], [0, 1, 2], NAMES)
    assert capsys.readouterr().out == "No misclassified images.\n" and plt.get_fignums() == []
