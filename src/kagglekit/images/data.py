"""Image competitions' files: label CSV, test ids, sample submission and the image paths, checked up front."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd

from ..competition import CompetitionSpec
from ..config import RunConfig
from ..data import read_table, require_columns, resolve_data_dir
from ..errors import UserError
from ..paths import display


@dataclass
class ImageData:
    train: pd.DataFrame  # id, target (and the path column where the competition has one)
    test: pd.DataFrame  # id
    sample_submission: pd.DataFrame
    folder: Path
    fingerprint: str
    train_paths: List[Path]
    test_paths: List[Path]


def image_paths(spec: CompetitionSpec, folder: Path, frame: pd.DataFrame, split: str, ext: str) -> List[Path]:
    """Path of each row's image: from the path column, or <dir>/<id><ext>."""
    if spec.images.path_column:
        return [folder / str(p) for p in frame[spec.images.path_column]]
    sub = spec.images.train_dir if split == "train" else spec.images.test_dir
    return [folder / sub / f"{i}{ext}" for i in frame[spec.id]]


def _test_frame(spec: CompetitionSpec, folder: Path, sample: pd.DataFrame) -> pd.DataFrame:
    if spec.files.test:
        test = read_table(folder / spec.files.test, spec.name)
        require_columns(test, [spec.id], folder / spec.files.test, "id")
        return test
    return sample[[spec.id]].copy()  # e.g. CIFAR-10: the test ids are the sample submission's


def _stratified_subset(train: pd.DataFrame, target: str, n: int, seed: int) -> pd.DataFrame:
    """About n rows with every class kept in proportion (at least one row per class)."""
    rng = np.random.default_rng(seed)
    frac = min(1.0, n / len(train))
    keep = []
    for _, rows in train.groupby(target, sort=True):
        k = max(1, int(round(len(rows) * frac)))
        keep.extend(rng.choice(rows.index.to_numpy(), size=min(k, len(rows)), replace=False))
    return train.loc[sorted(keep)].reset_index(drop=True)


def load_image_data(spec: CompetitionSpec, run: RunConfig, log=print) -> ImageData:
    """Read the label CSV and test ids, check every image file exists, apply ``image.subset``."""
    folder = resolve_data_dir(spec.name, run.data.dir, run.data.sample)
    if run.data.sample and not run.data.dir and not (folder / spec.files.train).exists():
        from .sample import write_image_sample

        log(f"no sample yet: generating one in {display(folder)}")
        write_image_sample(spec, folder)
    ext = run.image.extension or spec.images.extension
    train = read_table(folder / spec.files.train, spec.name)
    require_columns(train, [spec.id, spec.target] + ([spec.images.path_column] if spec.images.path_column else []),
                    folder / spec.files.train, "id/label")
    if train[spec.target].isna().any():
        raise UserError(f"{display(folder / spec.files.train)}: {int(train[spec.target].isna().sum())} row(s) have no label.")
    train[spec.target] = train[spec.target].astype(str)
    sample_path = folder / spec.files.sample_submission
    sample = read_table(sample_path, spec.name)
    require_columns(sample, spec.submission_columns, sample_path, "submission")
    test = _test_frame(spec, folder, sample)
    if len(sample) != len(test) or not (sample[spec.id].astype(str).values == test[spec.id].astype(str).values).all():
        raise UserError(f"{display(sample_path)} disagrees with the test ids ({len(test)}): same ids in the same order needed.")
    if run.image.subset and run.image.subset < len(train):
        train = _stratified_subset(train, spec.target, run.image.subset, run.seed)
    train_paths = image_paths(spec, folder, train, "train", ext)
    test_paths = image_paths(spec, folder, test, "test", ext)
    missing_train = [p for p in train_paths if not p.exists()]
    missing_test = [p for p in test_paths if not p.exists()]
    if missing_test or (missing_train and not run.image.skip_bad_images):
        missing = missing_test + missing_train
        hint = f" (extension {ext}: the shared CIFAR copy needs image.extension=.jpg?)" if not spec.images.path_column else ""
        raise UserError(
            f"{len(missing)} image file(s) listed in the CSVs are missing, e.g. {', '.join(display(p) for p in missing[:5])}"
            f"{hint}. Re-download the data" + ("" if missing_test else ", or drop them with image.skip_bad_images=true") + "."
        )
    if missing_train:
        keep = [p.exists() for p in train_paths]
        log(f"skipping {len(keep) - sum(keep)} training rows whose image file is missing (image.skip_bad_images)")
        train = train[keep].reset_index(drop=True)
        train_paths = [p for p, k in zip(train_paths, keep) if k]
    h = hashlib.sha1((folder / spec.files.train).read_bytes())
    h.update("|".join(map(str, test[spec.id])).encode())
    h.update(f"{ext}|{run.image.subset}|{len(train)}|{run.seed if run.image.subset else ''}".encode())
    return ImageData(train, test, sample, folder, h.hexdigest()[:10], train_paths, test_paths)
