"""Data for the study network: scikit-learn's digits (embedded, no download) or a user .npz file.

Images are float64 arrays N×C×H×W, labels int64 arrays N. The train/test split is a fixed, seeded,
stratified split, so every run of ``train`` and ``study`` sees the same test images.
"""

from __future__ import annotations

import importlib.util
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fixedpoint import budget
from fixedpoint.errors import UsageError

SPLIT_SEED = 0
MAX_CLASSES = 1000
MAX_PIXEL = 2.0**20  # |pixel| bound: squares and sums of a layer stay far from float64 overflow
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """A labelled train/test split of images (N, C, H, W) in float64 and labels (N,) in int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def split(name: str, images: np.ndarray, labels: np.ndarray, seed: int = SPLIT_SEED) -> Dataset:
    """Seeded stratified split into train and test (TEST_FRACTION of each class to test)."""
    rng = np.random.default_rng(seed)
    test_mask = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        n_test = max(int(round(TEST_FRACTION * len(idx))), int(len(idx) >= 2))
        test_mask[rng.permutation(idx)[:n_test]] = True
    return Dataset(name, images[~test_mask], labels[~test_mask], images[test_mask], labels[test_mask])


def digits_file() -> Path:
    """The digits CSV that ships inside scikit-learn (found without importing sklearn, which is slow)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("scikit-learn is not installed: it provides the embedded digits data set")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


def load_digits() -> Dataset:
    """scikit-learn's 8×8 digits (1,797 images, 10 classes; the file ``sklearn.datasets.load_digits``
    reads), pixels scaled from 0..16 to [0, 1]."""
    table = np.loadtxt(digits_file(), delimiter=",", dtype=np.float64)
    images = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    return split("digits", images, table[:, 64].astype(np.int64))


def load_npz(path: str | Path) -> Dataset:
    """A user data set: an .npz with ``images`` (N×C×H×W, real) and ``labels`` (N, integers 0..K−1)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--data: {path} is not a regular file" if path.exists() else
                         f"--data: no such file: {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise UsageError(f"--data {path}: a single .npy array; expected an .npz with 'images' and "
                             "'labels' (np.savez)")
        with loaded as npz:
            missing = [k for k in ("images", "labels") if k not in npz.files]
            if missing:
                raise UsageError(
                    f"--data {path}: missing array(s) {', '.join(missing)}; expected 'images' (N×C×H×W) "
                    f"and 'labels' (N), found {', '.join(npz.files) or 'none'}"
                )
            stored = sum(npz.zip.getinfo(f"{k}.npy").file_size for k in ("images", "labels"))
            budget.check(8 * stored, option="--data", what=f"the data set {path}")
            images, labels = npz["images"], npz["labels"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"--data {path}: not a readable .npz file ({str(exc).splitlines()[0]})") from None
    if images.ndim != 4 or not np.issubdtype(images.dtype, np.number) or np.iscomplexobj(images):
        raise UsageError(
            f"--data {path}: 'images' must be a real array N×C×H×W, got shape {images.shape} "
            f"dtype {images.dtype}"
        )
    if labels.shape != (images.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise UsageError(
            f"--data {path}: 'labels' must be integers of shape ({images.shape[0]},), got shape "
            f"{labels.shape} dtype {labels.dtype}"
        )
    if images.shape[0] < 10 or min(images.shape[2:]) < 2:
        raise UsageError(f"--data {path}: need at least 10 images of at least 2×2 pixels, got {images.shape}")
    if labels.min() < 0 or labels.max() >= MAX_CLASSES:
        raise UsageError(f"--data {path}: 'labels' must be 0..K−1 with K <= {MAX_CLASSES}, found "
                         f"{labels.min()}..{labels.max()}")
    images = images.astype(np.float64)
    if not np.all(np.isfinite(images)):
        raise UsageError(f"--data {path}: 'images' contains NaN or infinite values")
    if np.abs(images).max() > MAX_PIXEL:
        raise UsageError(f"--data {path}: 'images' holds values beyond ±2^20 (largest magnitude "
                         f"{np.abs(images).max():.3g}); scale the pixels (the float reference and SQNR "
                         "would overflow)")
    return split(path.stem, images, labels.astype(np.int64))


def load(data: str | Path | None) -> Dataset:
    """The embedded digits set when ``data`` is None, else the user's .npz file."""
    return load_digits() if data is None else load_npz(data)
