"""Image competitions' files in four layouts: a path column, <id> files, class folders, or pixels in the CSV.

Everything is checked before any fold runs: label CSV, test ids, sample submission and every image
file. Pictures are decoded once into the uint8 cache; unreadable ones are listed together.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import pandas as pd

from ..core.competition import CompetitionSpec
from ..core.dataset import Dataset, keep_rows, read_competition_files, read_sample_submission, row_ids, subsample_positions
from ..core.errors import UserError
from ..core.files import resolve_data_dir
from ..core.paths import data_root, display
from .cache import CachedImages, cached_images, cached_pixels, files_key
from .layout import images_spec
from .run_config import ImageRunConfig

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def pixel_columns(frame: pd.DataFrame, prefix: str) -> List[str]:
    """The pixel columns (``pixel0``, ``pixel1``, ...) in numeric order."""
    cols = [c for c in frame.columns if re.fullmatch(rf"{re.escape(prefix)}\d+", str(c))]
    return sorted(cols, key=lambda c: int(str(c)[len(prefix):]))


def pixel_array(frame: pd.DataFrame, spec: CompetitionSpec, path: Path) -> np.ndarray:
    """(N, H, W, C) uint8 pictures from a CSV's pixel columns."""
    im = images_spec(spec)
    cols = pixel_columns(frame, im.pixel_prefix)
    if len(cols) != im.height * im.width * im.channels:
        raise UserError(f"{display(path)}: {len(cols)} '{im.pixel_prefix}N' columns, but images.height x width x channels "
                        f"is {im.height} x {im.width} x {im.channels}. Fix the competition.yaml.")
    values = frame[cols].to_numpy(dtype=float)
    if np.isnan(values).any() or values.min() < 0 or values.max() > 255:
        raise UserError(f"{display(path)}: pixel values must be numbers in 0..255.")
    return values.astype(np.uint8).reshape(len(frame), im.height, im.width, im.channels)


def _class_folder_frames(spec: CompetitionSpec, folder: Path):
    """train (id = path under the train folder, target = its folder) and test (id = file name) from class folders."""
    im = images_spec(spec)
    train_root, test_root = folder / im.train_dir, folder / im.test_dir
    for root in (train_root, test_root):
        if not root.is_dir():
            raise UserError(f"{display(root)} is missing: the class_folders layout needs {im.train_dir}/<class>/<file> "
                            f"and {im.test_dir}/<file>.")
    files = sorted(p for p in train_root.glob("*/*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise UserError(f"{display(train_root)} holds no images in class folders.")
    train = pd.DataFrame({spec.id: [str(p.relative_to(train_root)) for p in files],
                          spec.targets[0]: [p.parent.name for p in files]})
    return train, [folder / im.train_dir / i for i in train[spec.id]]


def _file_paths(spec: CompetitionSpec, folder: Path, frame: pd.DataFrame, split: str, ext: str) -> List[Path]:
    im = images_spec(spec)
    if im.layout == "path_column":
        paths = [folder / str(p) for p in frame[im.path_column]]
    else:
        sub = im.train_dir if split == "train" else im.test_dir
        paths = [folder / sub / (str(i) if im.layout == "class_folders" else f"{i}{ext}") for i in frame[spec.id]]
    return confined(paths, folder, spec.files.train if split == "train" else spec.files.test)


def confined(paths: List[Path], folder: Path, csv_name: str) -> List[Path]:
    """``paths`` when every one stays inside the data folder once ``..`` and absolute parts are applied; else one
    line naming the first row that points outside (a CSV must not make a run read, or train on, other files)."""
    root = os.path.normpath(os.path.abspath(folder))
    for row, path in enumerate(paths):
        where = os.path.normpath(os.path.abspath(path))
        if os.path.commonpath([root, where]) != root:
            raise UserError(f"{display(folder / csv_name)} line {row + 2}: image path '{os.path.relpath(where, root)}' "
                            f"resolves outside the data folder {display(folder)}; image paths must stay inside it.")
    return paths


@dataclass
class PictureCaches:
    """What an image run reads besides its tables: the decoded pictures, which cached train rows the run keeps, and
    the seconds spent decoding (and embedding) now."""

    train: CachedImages
    test: CachedImages
    rows: np.ndarray  # positions in ``train`` of the run's training rows
    seconds: float


def load_image_data(spec: CompetitionSpec, run: ImageRunConfig, log=print) -> Dataset:
    """Read labels, test rows and sample submission; decode (or reuse) every picture; report bad ones together."""
    folder = resolve_data_dir(spec.name, run.data.dir, run.data.sample)
    where, im = images_spec(spec), run.image
    layout, ext = where.layout, im.extension or where.extension
    if layout == "class_folders":
        sample = read_sample_submission(spec, folder)
        train, train_paths = _class_folder_frames(spec, folder)
        pictures = [p for p in (folder / where.test_dir).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        by_name = {p.name: p for p in pictures}
        if len({p.stem for p in pictures}) == len(pictures):  # Kaggle's ids name the files with or without suffix
            by_name.update({p.stem: p for p in pictures})
        missing = [i for i in sample[spec.submission_id].astype(str) if i not in by_name]
        if missing:
            raise UserError(f"{display(folder / spec.files.sample_submission)} lists test images that are not in "
                            f"{display(folder / where.test_dir)}, e.g. {missing[:3]}.")
        test = pd.DataFrame({spec.id: sample[spec.submission_id].astype(str)})
        folder_test_paths = [by_name[i] for i in test[spec.id]]
        data = Dataset(train, test, sample, folder, "", row_ids(train, spec.id))
        data.fingerprint = files_key(train_paths + folder_test_paths)
    else:
        data = read_competition_files(spec, folder, read_csv={}, need_test_id=layout != "pixels", log=log)
    keep = np.arange(len(data.train))
    subset = run.data.rows or im.subset
    if subset and subset < len(data.train):
        keep = subsample_positions(data.train, spec.targets[0], subset, run.seed)
    cache_dir = data_root() / "cache" / spec.name
    start = time.perf_counter()
    if layout == "pixels":
        train_px = pixel_array(data.train, spec, folder / spec.files.train)
        test_px = pixel_array(data.test, spec, folder / spec.files.test)
        train_cache = cached_pixels(train_px, f"train-{data.fingerprint}", im.size, cache_dir)
        test_cache = cached_pixels(test_px, f"test-{data.fingerprint}", im.size, cache_dir)
    else:
        train_paths = _file_paths(spec, folder, data.train, "train", ext)
        test_paths = folder_test_paths if layout == "class_folders" else _file_paths(spec, folder, data.test, "test", ext)
        _check_files_exist(spec, train_paths, test_paths, ext, im.skip_bad_images)
        if layout != "class_folders":
            data.fingerprint = hashlib.sha1(f"{data.fingerprint}|{files_key(train_paths + test_paths)}".encode()).hexdigest()[:10]
        train_cache = cached_images(train_paths, im.size, cache_dir, run.speed.decode_workers, "cache train")
        test_cache = cached_images(test_paths, im.size, cache_dir, run.speed.decode_workers, "cache test")
        _report_bad(train_cache.bad, "train", im.skip_bad_images)
        _report_bad(test_cache.bad, "test", False)
        bad = {i for i, _, _ in train_cache.bad} | {i for i, p in enumerate(train_paths) if not p.exists()}
        if bad:
            log(f"skipping {len(bad)} unreadable or missing training images (image.skip_bad_images)")
            keep = np.array([i for i in keep if i not in bad])
    keep_rows(data, keep, run.seed if subset else "")
    data.kind_data = PictureCaches(train_cache, test_cache, keep, time.perf_counter() - start)
    return data


def _check_files_exist(spec, train_paths, test_paths, ext, skip_bad: bool) -> None:
    missing_train = [p for p in train_paths if not p.exists()]
    missing_test = [p for p in test_paths if not p.exists()]
    if missing_test or (missing_train and not skip_bad):
        missing = missing_test + missing_train
        hint = f" (extension {ext}: the shared CIFAR copy needs image.extension=.jpg?)" if images_spec(spec).layout == "id_files" else ""
        raise UserError(
            f"{len(missing)} image file(s) listed in the CSVs are missing, e.g. {', '.join(display(p) for p in missing[:5])}"
            f"{hint}. Re-download the data" + ("" if missing_test else ", or drop them with image.skip_bad_images=true") + "."
        )


def _report_bad(bad, split: str, skip: bool) -> None:
    if bad and (split == "test" or not skip):
        listed = "; ".join(f"{p} ({err})" for _, p, err in bad[:10])
        fix = "replace them (Kaggle's copy)" if split == "test" else "replace them, or drop them with image.skip_bad_images=true"
        raise UserError(f"{len(bad)} {split} image(s) cannot be decoded: {listed}{' ...' if len(bad) > 10 else ''}. Fix: {fix}.")


def image_path_column(frame, folder: Path) -> Optional[Tuple[str, str]]:
    """(column, evidence) for a column whose values are paths of picture files in ``folder`` (Classify Leaves'
    ``images/0.jpg``), or None: most values end in a picture suffix and the first few name files that exist."""
    for col in frame.columns:
        values = frame[col].dropna().astype(str)
        if values.empty or frame[col].dtype.kind not in "OSU":
            continue
        suffixed = values.head(500).map(lambda v: Path(v).suffix.lower() in IMAGE_SUFFIXES).mean()
        if suffixed < 0.9:
            continue
        head = values.head(20)
        found = sum((folder / v).is_file() for v in head)
        if found >= 0.9 * len(head):
            return col, (f"image paths '{col}': {suffixed:.0%} of values end in a picture suffix and {found} of the "
                         f"first {len(head)} name files in the data folder")
    return None


def picture_side(paths: List[Path], within: Path, sample: int = 50) -> Optional[int]:
    """The pictures' own side in pixels: the median of the larger of width and height over up to ``sample`` of
    ``paths`` spread across them (headers only; a path leading out of ``within`` is not opened); None when none opens."""
    from PIL import Image

    step, root = max(1, len(paths) // sample), within.resolve()
    sides = []
    for path in paths[::step][:sample]:
        if root not in Path(path).resolve().parents:
            continue
        try:
            with Image.open(path) as im:
                sides.append(max(im.size))
        except (OSError, ValueError):
            continue
    return int(np.median(sides)) if sides else None
