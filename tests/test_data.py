import gzip
import hashlib
import inspect
import pickle
import tarfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import data


def test_smoke_without_data_uses_announced_stand_in(no_data, capsys):
    loaded = data.load("mnist", train_size=64, test_size=16, verbose=False)
    (x, y), (xt, yt) = loaded
    out = capsys.readouterr().out
    assert "SYNTHETIC stand-in" in out and "COURSE_DATA_DIR" in out  # announced even with verbose=False
    assert x.shape == (64, 28, 28) and x.dtype == np.uint8 and y.shape == (64,)
    assert xt.shape == (16, 28, 28)
    assert loaded.source == "synthetic stand-in" and loaded.is_synthetic
    assert data.last_source("mnist") == "synthetic stand-in"


# Keras load_data() layouts (keras.io/api/datasets): per-image shape and per-label shape.
KERAS_LAYOUT = {"mnist": ((28, 28), ()), "fashion_mnist": ((28, 28), ()), "cifar10": ((32, 32, 3), (1,))}


def test_stand_in_shapes_match_keras_layout():
    for name, (image_shape, label_shape) in KERAS_LAYOUT.items():
        (x, y), (xt, yt) = data.synthetic(name, 20, 10)
        assert x.shape == (20, *image_shape) and xt.shape == (10, *image_shape)
        assert y.shape == (20, *label_shape) and yt.shape == (10, *label_shape)
        assert x.dtype == y.dtype == np.uint8 and np.bincount(y.ravel()).tolist() == [2] * 10


def test_classroom_without_data_names_file_and_fetch_command(no_data, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "classroom")
    with pytest.raises(data.DataNotFoundError) as err:
        data.load("cifar10")
    message = str(err.value)
    assert "cifar-10-python.tar.gz" in message and "python -m course_utils fetch all" in message


def test_bad_data_dir_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="is not a folder"):
        data.load("mnist")


def _write_mnist(path, n=30, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 255, (n, 28, 28), dtype=np.uint8), y_train=np.arange(n, dtype=np.uint8) % 10,
             x_test=rng.integers(0, 255, (10, 28, 28), dtype=np.uint8), y_test=np.arange(10, dtype=np.uint8))


def test_corrupt_file_is_reported_and_kept(no_data, monkeypatch):
    folder = no_data / "data"
    folder.mkdir()
    _write_mnist(folder / "mnist.npz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    before = hashlib.sha256((folder / "mnist.npz").read_bytes()).hexdigest()
    with pytest.raises(data.CorruptDataError, match="SHA-256") as err:
        data.load("mnist")
    assert "left in place" in str(err.value) and "$COURSE_DATA_DIR/mnist.npz has SHA-256" in str(err.value)
    assert str(no_data) not in str(err.value)  # no machine path in what a notebook shows
    assert hashlib.sha256((folder / "mnist.npz").read_bytes()).hexdigest() == before  # untouched


def test_verified_data_dir_file_loads_and_subsets(no_data, monkeypatch, capsys):
    folder = no_data / "data"
    folder.mkdir()
    _write_mnist(folder / "mnist.npz", n=50)
    digest = hashlib.sha256((folder / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(data.FILE_SHA256, "mnist.npz", {digest})
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    loaded = data.load("mnist", train_size=20)
    (x, y), (xt, yt) = loaded
    assert capsys.readouterr().out == (
        "mnist from the data directory (mnist.npz): 20 train / 10 test images, "
        "drawn from a real subset of mnist: 50 of 60,000 train / 10 of 10,000 test images\n"
    )
    assert x.shape == (20, 28, 28) and np.bincount(y).tolist() == [2] * 10
    assert xt.shape == (10, 28, 28)
    assert loaded.source == data.last_source("mnist") == "real subset" and not loaded.is_synthetic


def test_keras_cache_fashion_files_checked_by_content(no_data, monkeypatch):
    folder = no_data / "keras-home" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    images = np.zeros((4, 28, 28), np.uint8).tobytes()
    payloads = {
        "train-images-idx3-ubyte.gz": b"\0" * 16 + images, "train-labels-idx1-ubyte.gz": b"\0" * 8 + bytes(4),
        "t10k-images-idx3-ubyte.gz": b"\0" * 16 + images, "t10k-labels-idx1-ubyte.gz": b"\0" * 8 + bytes(4),
    }
    for name, payload in payloads.items():
        with gzip.open(folder / name, "wb") as f:
            f.write(payload)
        monkeypatch.setitem(data.CONTENT_SHA256, name, hashlib.sha256(payload).hexdigest())
    (x, y), _ = data.load("fashion_mnist")
    assert x.shape == (4, 28, 28)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"tampered")
    with pytest.raises(data.CorruptDataError, match="t10k-labels"):
        data.load("fashion_mnist")


def test_wrong_layout_is_reported(no_data, monkeypatch):
    folder = no_data / "data"
    folder.mkdir()
    np.savez(folder / "mnist.npz", x_train=np.zeros((5, 32, 32), np.uint8), y_train=np.zeros(5, np.uint8),
             x_test=np.zeros((5, 32, 32), np.uint8), y_test=np.zeros(5, np.uint8))
    monkeypatch.setitem(data.FILE_SHA256, "mnist.npz", {data.sha256_of(folder / "mnist.npz")})
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    with pytest.raises(data.CorruptDataError, match=r"x_train has shape \(5, 32, 32\)"):
        data.load("mnist")


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        data.load_full("imagenet")


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=2, max_size=10), frac=st.floats(0.05, 0.95), seed=st.integers(0, 99))
def test_stratified_subset_keeps_class_shares(counts, frac, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.arange(len(y))
    size = max(1, int(frac * len(y)))
    xs, ys = data.stratified_subset(x, y, size, seed)
    assert len(ys) == size and len(set(xs.tolist())) == size
    expected = np.array(counts) / len(y) * size
    assert np.all(np.abs(np.bincount(ys, minlength=len(counts)) - expected) < 1 + 1e-9)
    assert np.array_equal(xs, np.sort(xs))  # original order kept
    assert np.array_equal(data.stratified_subset(x, y, size, seed)[0], xs)  # seeded


def test_make_dataset_pads_scales_and_batches():
    x = np.full((10, 28, 28), 255, np.uint8)
    ds = data.make_dataset(x, np.arange(10), batch_size=4, pad=2)
    images, labels = next(iter(ds))
    assert images.shape == (4, 32, 32, 1) and float(images[0, 0, 0, 0]) == 0.0 and float(images[0, 2, 2, 0]) == 1.0
    assert [int(b.shape[0]) for b, _ in ds] == [4, 4, 2]


def test_make_dataset_resizes_per_batch_and_takes_dict_labels():
    x = np.zeros((6, 32, 32, 3), np.uint8)
    y = {"digit_1": np.zeros(6), "digit_2": np.ones(6)}
    images, labels = next(iter(data.make_dataset(x, y, batch_size=3, shuffle=True, image_size=64)))
    assert images.shape == (3, 64, 64, 3) and set(labels) == {"digit_1", "digit_2"}


def test_make_dataset_in_uint8_is_the_float_pipeline_rounded(monkeypatch):
    monkeypatch.setattr(data, "UINT8_RESIZE_CHUNK", 3)  # chunks of 3, rebatched to 4
    x = np.random.default_rng(1).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    y = np.arange(10)
    floats = [images.numpy() for images, _ in data.make_dataset(x, y, batch_size=4, image_size=48)]
    batches = list(data.make_dataset(x, y, batch_size=4, image_size=48, dtype="uint8"))
    assert [len(labels) for _, labels in batches] == [4, 4, 2]  # chunks of 3 rebatched to 4, the rest last
    np.testing.assert_array_equal(np.concatenate([labels for _, labels in batches]), y)  # order kept
    for (images, _), expected in zip(batches, floats):
        assert images.dtype == np.uint8
        np.testing.assert_allclose(images.numpy() / 255.0, expected, atol=0.5 / 255 + 1e-6)  # rounded: half a level
    shuffled = np.concatenate([labels for _, labels in data.make_dataset(x, y, 4, image_size=48, dtype="uint8",
                                                                         shuffle=True, seed=3)])
    assert sorted(shuffled) == list(y) and list(shuffled) != list(y)  # every image once, in another order
    grey = np.zeros((2, 5, 5), np.uint8)  # N x H x W: a channel axis is added
    assert next(iter(data.make_dataset(grey, np.zeros(2), 2, image_size=8, dtype="uint8")))[0].shape == (2, 8, 8, 1)


def test_make_dataset_rejects_what_uint8_batches_cannot_be():
    with pytest.raises(ValueError, match="needs uint8 images"):
        data.make_dataset(np.zeros((2, 8, 8, 3), np.float32), np.zeros(2), 2, dtype="uint8")
    with pytest.raises(ValueError, match="and an augment function"):
        data.make_dataset(np.zeros((2, 8, 8, 3), np.uint8), np.zeros(2), 2, dtype="uint8", augment=lambda b: b)
    with pytest.raises(ValueError, match="dtype must be"):
        data.make_dataset(np.zeros((2, 8, 8, 3), np.uint8), np.zeros(2), 2, dtype="float16")


def test_make_dataset_rejects_bad_input():
    with pytest.raises(ValueError, match="batch_size must be positive"):
        data.make_dataset(np.zeros((2, 4, 4)), np.zeros(2), batch_size=0)
    with pytest.raises(ValueError, match="N x H x W"):
        data.make_dataset(np.zeros((2, 4)), np.zeros(2), batch_size=1)


def test_captcha_is_deterministic_and_multi_head_ready():
    x1, y1 = data.captcha(5, seed=3)
    x2, y2 = data.captcha(5, seed=3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert x1.shape == (5, 60, 160, 1) and y1.shape == (5, 4) and y1.max() <= 9
    assert x1.std() > 10  # characters and noise, not a blank canvas
    heads = {f"digit_{i + 1}": y1[:, i] for i in range(4)}
    images, labels = next(iter(data.make_dataset(x1, heads, batch_size=5)))
    assert images.shape == (5, 60, 160, 1) and sorted(labels) == sorted(heads)


def test_captcha_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="too small for 6 characters"):
        data.captcha(2, length=6, width=100)
    with pytest.raises(ValueError, match="must be positive"):
        data.captcha(0)


def test_downloaded_files_are_verified_too(no_data, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setenv("COURSE_PROFILE", "classroom")
    cache = no_data / "keras-home" / "datasets"

    def fake_download(name):  # stands in for Keras writing a damaged file into its cache
        cache.mkdir(parents=True)
        _write_mnist(cache / "mnist.npz")
        return data.synthetic(name)

    monkeypatch.setattr(data, "_download", fake_download)
    with pytest.raises(data.CorruptDataError, match="SHA-256"):
        data.load("mnist")


def test_download_failure_is_a_clear_error(no_data, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setenv("COURSE_PROFILE", "classroom")

    def no_network(name):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data, "_download", no_network)
    with pytest.raises(data.DataNotFoundError, match="network is unreachable") as err:
        data.load("fashion_mnist")
    assert "fashion-mnist/train-images-idx3-ubyte.gz" in str(err.value)


def _write_fashion(folder, n_train=60000, n_test=10000):
    """The four IDX files at full size (zeros compress to a few kB); return their content SHA-256."""
    folder.mkdir(parents=True)
    payloads = {
        "train-images-idx3-ubyte.gz": bytes(16 + n_train * 784), "train-labels-idx1-ubyte.gz": bytes(8 + n_train),
        "t10k-images-idx3-ubyte.gz": bytes(16 + n_test * 784), "t10k-labels-idx1-ubyte.gz": bytes(8 + n_test),
    }
    for name, payload in payloads.items():
        with gzip.open(folder / name, "wb", compresslevel=1) as f:
            f.write(payload)
    return {name: hashlib.sha256(payload).hexdigest() for name, payload in payloads.items()}


def test_whole_dataset_is_a_real_file(no_data, monkeypatch):
    for name, digest in _write_fashion(no_data / "keras-home" / "datasets" / "fashion-mnist").items():
        monkeypatch.setitem(data.CONTENT_SHA256, name, digest)
    loaded = data.load("fashion_mnist", train_size=100, verbose=False)
    assert loaded.source == data.last_source("fashion_mnist") == "real file" and not loaded.is_synthetic
    assert loaded[0][0].shape == (100, 28, 28) and loaded[1][0].shape == (10000, 28, 28)


def test_missing_fashion_file_is_named_not_replaced_by_a_stand_in(no_data, capsys):
    folder = no_data / "keras-home" / "datasets" / "fashion-mnist"
    _write_fashion(folder, n_train=4, n_test=4)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.CorruptDataError) as err:  # smoke profile: still an error, not a stand-in
        data.load("fashion_mnist")
    assert "t10k-labels-idx1-ubyte.gz is missing" in str(err.value)
    assert "$KERAS_HOME/datasets/fashion-mnist holds only part of Fashion-MNIST" in str(err.value)
    assert "SYNTHETIC" not in capsys.readouterr().out


def _cifar_batches(n=3):
    """Six small batches in CIFAR-10's pickle format (labels 0..n-1; pixel value = batch number)."""
    batches = {}
    for i, name in enumerate(data.CIFAR_BATCHES):
        images = np.full((n, 3 * 32 * 32), i, np.uint8)
        batches[name] = pickle.dumps({b"data": images, b"labels": list(range(n))})
    return batches


def test_keras_names_for_cifar10_are_the_ones_keras_uses():
    from keras.src.datasets import cifar10

    source = inspect.getsource(cifar10.load_data)
    assert 'dirname = "cifar-10-batches-py-target"' in source  # get_file(extract=True) adds "_archive"
    assert data.KERAS_CIFAR_ARCHIVES[0] == "cifar-10-batches-py-target_archive"
    assert data.KERAS_CIFAR_FOLDERS[0] == "cifar-10-batches-py-target/cifar-10-batches-py"
    published = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"  # cs.toronto.edu archive
    assert published in source
    assert data.FILE_SHA256["cifar-10-batches-py-target_archive"] == {published}
    assert data.FILE_SHA256["cifar-10-batches-py.tar.gz"] == {published}


def test_keras3_cached_cifar10_archive_is_checked(no_data, monkeypatch):
    cache = no_data / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    archive = cache / "cifar-10-batches-py-target_archive"
    with tarfile.open(archive, "w:gz") as tar:
        for name, payload in _cifar_batches().items():
            (no_data / name).write_bytes(payload)
            tar.add(no_data / name, arcname=f"cifar-10-batches-py/{name}")
    with pytest.raises(data.CorruptDataError, match="cifar-10-batches-py-target_archive has SHA-256"):
        data.load("cifar10")  # not the published archive
    monkeypatch.setitem(data.FILE_SHA256, archive.name, {data.sha256_of(archive)})
    (x, y), (xt, yt) = data.load("cifar10", verbose=False)
    assert x.shape == (15, 32, 32, 3) and y.shape == (15, 1) and xt.shape == (3, 32, 32, 3)
    assert x[:, 0, 0, 0].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4] and xt[0, 0, 0, 0] == 5


def test_keras_extracted_cifar10_batches_are_checked_before_unpickling(no_data, monkeypatch):
    folder = no_data / "keras-home" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, payload in _cifar_batches().items():
        (folder / name).write_bytes(payload)
    unpickled = []
    read_batch = data._cifar_batch
    monkeypatch.setattr(data, "_cifar_batch", lambda raw: unpickled.append(raw) or read_batch(raw))
    with pytest.raises(data.CorruptDataError, match="data_batch_1 has MD5"):
        data.load("cifar10")
    assert unpickled == []  # nothing unverified was ever unpickled
    for name, payload in _cifar_batches().items():
        monkeypatch.setitem(data.CIFAR_BATCH_MD5, name, hashlib.md5(payload).hexdigest())
    (x, y), (xt, yt) = data.load("cifar10", verbose=False)
    assert len(unpickled) == 6 and x.shape == (15, 32, 32, 3) and yt[:, 0].tolist() == [0, 1, 2]
    (folder / "test_batch").unlink()
    with pytest.raises(data.CorruptDataError, match="holds only part of CIFAR-10: test_batch missing"):
        data.load("cifar10")


def test_printed_places_never_show_machine_paths(no_data, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(no_data / "home"))
    monkeypatch.delenv("KERAS_HOME")
    folder = no_data / "data"
    folder.mkdir()
    _write_mnist(folder / "mnist.npz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    data.describe_sources()
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "COURSE_DATA_DIR: set; Keras cache: ~/.keras/datasets",
        "  mnist         data directory: $COURSE_DATA_DIR/mnist.npz",
    ]
    monkeypatch.setenv("COURSE_PROFILE", "classroom")
    with pytest.raises(data.DataNotFoundError) as err:
        data.load("cifar10")
    assert "not found in $COURSE_DATA_DIR or ~/.keras/datasets (Keras cache)" in str(err.value)
    assert str(no_data) not in out + str(err.value)


def test_last_source_before_any_load():
    with pytest.raises(ValueError, match="'svhn' has not been loaded"):
        data.last_source("svhn")
