"""Generated image samples in a competition's Kaggle layout (path column or <dir>/<id><ext> files).

Each class gets its own colour and stripe pattern plus noise, shifts and brightness changes, so a
tiny network can learn it in a few epochs. Synthetic: no picture comes from the real data.
"""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
import pandas as pd

from ..competition import CompetitionSpec
from ..runs import atomic_write_text
from ..sample import SAMPLE_NOTE, load_sample_spec


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
    """Write the sample's images, label CSV, test CSV (if the competition has one) and sample submission."""
    from PIL import Image

    cfg = load_sample_spec(spec)["images"]
    rng = np.random.default_rng(seed)
    classes = list(cfg["classes"])
    size, fmt = int(cfg.get("size", 64)), cfg.get("format", "png")
    n_train = int(cfg.get("n_per_class", 16)) * len(classes)
    n_test = int(cfg.get("n_test", 40))
    labels = [classes[i % len(classes)] for i in rng.permutation(n_train)]
    test_classes = rng.integers(0, len(classes), n_test)
    ids = np.arange(int(cfg.get("id_start", 0)), int(cfg.get("id_start", 0)) + n_train + n_test)
    folder.mkdir(parents=True, exist_ok=True)
    rel = []
    for k, i in enumerate(ids):
        c = classes.index(labels[k]) if k < n_train else int(test_classes[k - n_train])
        if spec.images.path_column:
            name = f"{cfg.get('dir', 'images')}/{i}.{fmt}"
        else:
            name = f"{spec.images.train_dir if k < n_train else spec.images.test_dir}/{i}.{fmt}"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(class_image(rng, c, len(classes), size)).save(folder / name, quality=90)
        rel.append(name)
    key = spec.images.path_column or spec.id
    id_values = rel if spec.images.path_column else ids
    train = pd.DataFrame({key: id_values[:n_train], spec.target: labels})
    test = pd.DataFrame({key: id_values[n_train:]})
    sample = pd.DataFrame({spec.id: test[key] if spec.images.path_column else test[key], spec.target: classes[0]})
    atomic_write_text(folder / spec.files.train, train.to_csv(index=False))
    if spec.files.test:
        atomic_write_text(folder / spec.files.test, test.to_csv(index=False))
    atomic_write_text(folder / spec.files.sample_submission, sample.to_csv(index=False))
    atomic_write_text(folder / "README.md", SAMPLE_NOTE.format(name=spec.name, seed=seed))
    return folder
