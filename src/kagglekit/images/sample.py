"""Generated image samples in a competition's Kaggle layout (path column or <dir>/<id><ext> files).

Each class gets its own colour and stripe pattern plus noise, shifts and brightness changes, so a
tiny network can learn it in a few epochs. Synthetic: no picture comes from the real data.
"""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.competition import CompetitionSpec
from ..core.io import atomic_write_text
from ..core.samples import SAMPLE_NOTE, load_sample_spec
from .layout import images_spec


def class_image(rng: np.random.Generator, c: int, n_classes: int, size: int) -> np.ndarray:
    """One size x size RGB uint8 picture of class ``c``."""
    r, g, b = colorsys.hsv_to_rgb(c / n_classes, 0.7, 0.9)
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = np.pi * (c % 4) / 4
    freq = 3 + (c // 4) % 3 * 3
    phase = rng.uniform(0, 2 * np.pi)
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)) + phase)
    img = np.stack([r, g, b])[:, None, None] * (0.55 + 0.45 * stripes)[None]
    img = img * rng.uniform(0.75, 1.15) + rng.normal(0, 0.06, img.shape)
    return (np.clip(img.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)


def write_image_sample(spec: CompetitionSpec, folder: Path, seed: int = 0) -> Path:
    """Write the sample's pictures (in the competition's layout), label CSV, test CSV and sample submission."""
    from PIL import Image

    cfg = load_sample_spec(spec)["images"]
    rng = np.random.default_rng(seed)
    classes = list(cfg["classes"])
    size, fmt = int(cfg.get("size", 64)), cfg.get("format", "png")
    n_train = int(cfg.get("n_per_class", 16)) * len(classes)
    n_test = int(cfg.get("n_test", 40))
    labels = [classes[i % len(classes)] for i in rng.permutation(n_train)]
    codes = [classes.index(c) for c in labels] + rng.integers(0, len(classes), n_test).tolist()
    pictures = [class_image(rng, c, len(classes), size) for c in codes]
    ids = np.arange(int(cfg.get("id_start", 0)), int(cfg.get("id_start", 0)) + n_train + n_test)
    folder.mkdir(parents=True, exist_ok=True)
    im, target = images_spec(spec), spec.targets[0]
    if im.layout == "pixels":
        gray = [p.mean(axis=2).astype(np.uint8) if im.channels == 1 else p for p in pictures]
        flat = np.stack([np.asarray(Image.fromarray(g).resize((im.width, im.height))).reshape(-1) for g in gray])
        cols = [f"{im.pixel_prefix}{i}" for i in range(flat.shape[1])]
        train = pd.DataFrame(flat[:n_train], columns=cols)
        train.insert(0, target, labels)
        test = pd.DataFrame(flat[n_train:], columns=cols)
        sub_ids = np.arange(1, n_test + 1)
    else:
        rel = []
        for k, i in enumerate(ids):
            if im.layout == "path_column":
                name = f"{cfg.get('dir', 'images')}/{i}.{fmt}"
            elif im.layout == "class_folders":
                name = f"{im.train_dir}/{labels[k]}/{i}.{fmt}" if k < n_train else f"{im.test_dir}/{i}.{fmt}"
            else:
                name = f"{im.train_dir if k < n_train else im.test_dir}/{i}.{fmt}"
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pictures[k]).save(folder / name, quality=90)
            rel.append(name)
        key = im.path_column if im.layout == "path_column" else spec.id
        values = rel if im.layout == "path_column" else ([f"{i}.{fmt}" for i in ids] if im.layout == "class_folders" else ids)
        train = pd.DataFrame({key: values[:n_train], target: labels})
        test = pd.DataFrame({key: values[n_train:]})
        sub_ids = test[key].to_numpy()
    columns = cfg.get("submission_columns") or spec.submission.columns or [target]
    sample = pd.DataFrame({spec.submission_id: sub_ids, **{c: classes[0] for c in columns}})
    if im.layout != "class_folders":
        atomic_write_text(folder / spec.files.train, train.to_csv(index=False))
        if spec.files.test:
            atomic_write_text(folder / spec.files.test, test.to_csv(index=False))
    atomic_write_text(folder / spec.files.sample_submission, sample.to_csv(index=False))
    atomic_write_text(folder / "README.md", SAMPLE_NOTE.format(name=spec.name, seed=seed))
    return folder
