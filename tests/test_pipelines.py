"""The throughput meter: sustained rates, prefetched batches not counted as speed, finite sources cycled."""

import numpy as np
import pytest

from course_utils import data, pipelines


class _FakeClock:
    """Stands in for the time module inside course_utils.pipelines: time moves only when a batch is made."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def _source(clock, seconds_per_batch, batch_size=4, ready=0):
    """Endless batches that cost ``seconds_per_batch`` each; the first ``ready`` were prefetched (cost 0)."""
    n = 0
    while True:
        if n >= ready:
            clock.now += seconds_per_batch
        n += 1
        yield np.zeros((batch_size, 2, 2, 1)), np.zeros(batch_size)


def test_rate_of_a_known_source(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(pipelines, "time", clock)
    # 4 images per 0.01 s: 400 images/s, worked out by hand
    assert pipelines.images_per_second(_source(clock, 0.01)) == pytest.approx(400.0)


def test_prefetched_batches_do_not_count_as_speed(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(pipelines, "time", clock)
    # 20 batches waiting in a buffer, then 0.01 s per batch. The old meter (1 warm-up batch, 8 timed)
    # would have timed 8 free batches: an infinite rate. The sustained rate is 400 images/s.
    assert pipelines.images_per_second(_source(clock, 0.01, ready=20), n_batches=8) == pytest.approx(400.0)


def test_median_of_the_windows(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(pipelines, "time", clock)
    costs = iter([0.0] * 2 + [1.0] + [0.5] * 2 + [0.25] * 4 + [1.0])  # warm-up 2, then windows of >= 1 s

    def batches():
        while True:
            clock.now += next(costs)
            yield np.zeros((10, 1)), np.zeros(10)

    # warm-up: two free batches, then one of 1 s (0.25 s minimum reached); windows of at least 1 s:
    # 2 x 0.5 s -> 20 images/s, 4 x 0.25 s -> 40 images/s, 1 x 1 s -> 10 images/s; the median is 20
    assert pipelines.images_per_second(batches(), min_seconds=1.0) == pytest.approx(20.0)


def test_a_finite_source_is_iterated_again(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(pipelines, "time", clock)

    class OneBatch:
        """Like a finite dataset: each pass yields one batch of 3 images, made in 0.01 s."""

        passes = 0

        def __iter__(self):
            OneBatch.passes += 1
            clock.now += 0.01
            yield np.zeros((3, 2)), np.zeros(3)

    assert pipelines.images_per_second(OneBatch()) == pytest.approx(300.0)
    assert OneBatch.passes > 1
    batches = [(np.zeros((3, 2)), np.zeros(3))]
    with pytest.raises(ValueError, match="ran out after 2"):
        pipelines.images_per_second(iter(batches * 2), min_seconds=0.001)
    with pytest.raises(ValueError, match="empty"):
        pipelines.images_per_second([], min_seconds=0.001)


def test_transform_output_is_what_is_counted(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(pipelines, "time", clock)
    # the transform keeps half of each batch: 2 images per 0.01 s
    rate = pipelines.images_per_second(_source(clock, 0.01), transform=lambda images: images[:2])
    assert rate == pytest.approx(200.0)


def test_compare_pipelines_times_the_same_224_batches(monkeypatch):
    x = np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8)
    y = np.arange(8).reshape(-1, 1)
    seen = {}

    def first_batch(batches, transform=None, **kwargs):
        images, _ = next(iter(batches))
        seen[len(seen)] = np.asarray(transform(images) if transform is not None else images)
        return float(len(seen))

    monkeypatch.setattr(pipelines, "images_per_second", first_batch)
    speeds = pipelines.compare_pipelines(x, y, batch_size=4, size=64)
    assert list(speeds) == [pipelines.GENERATOR, pipelines.TF_DATA, pipelines.UINT8, pipelines.IN_MODEL]
    expected = next(iter(data.make_dataset(x, y, batch_size=4, image_size=64)))[0].numpy()
    for i in (0, 1, 3):
        assert seen[i].shape == (4, 64, 64, 3)
        np.testing.assert_allclose(seen[i], expected, atol=1e-5)
    assert seen[2].dtype == np.uint8  # the model divides by 255: within half a grey level
    np.testing.assert_allclose(seen[2] / 255.0, expected, atol=0.5 / 255 + 1e-6)


def test_seed_generator_pads_a_black_row_and_column_at_224():
    # resize_with_pad computes the side as 32 / (32 / 224) in float32 = 223.99998 and rounds down
    white = np.full((2, 32, 32, 3), 255, np.uint8)
    images = next(pipelines.generator_batches(white, np.zeros(2), 2, 224))[0].numpy()
    np.testing.assert_allclose(images[:, :223, :223], 1.0, atol=1e-6)
    assert images[:, 223].max() == 0 and images[:, :, 223].max() == 0
