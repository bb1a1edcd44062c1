"""Compact copies of the shared Classify Leaves and CIFAR-10 folders for a device machine (its working tree travels
with a 64 MiB limit): leaves at 128 px (the leaves configs' size) as WebP quality 90, CIFAR-10's 50,000 training JPEGs
as they are with the first ``--test`` test images. Written as data/gpu/<name>.tgz (git-ignored).
    python tests/device_data.py [--shared ../shared/data] [--test 1000]"""

from __future__ import annotations

import argparse
import csv
import shutil
import tarfile
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image


def _webp(job) -> None:
    src, dst = job
    Image.open(src).convert("RGB").resize((128, 128), Image.BICUBIC).save(dst, "WEBP", quality=90)


def leaves(shared: Path, work: Path, n_test: int) -> Path:
    """Classify Leaves with every training image and the first ``n_test`` test images, 128 px WebP."""
    src, dst = shared / "classify-leaves", work / "leaves"
    (dst / "images").mkdir(parents=True)
    jobs = set()
    for name, keep in (("train.csv", None), ("test.csv", n_test), ("sample_submission.csv", n_test)):
        rows = list(csv.reader(open(src / name)))
        rows = rows[:1 + keep] if keep else rows
        for row in rows[1:]:
            new = str(Path(row[0]).with_suffix(".webp"))
            jobs.add((src / row[0], dst / new))
            row[0] = new
        with open(dst / name, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_webp, sorted(jobs), chunksize=256))
    return dst


def cifar10(shared: Path, work: Path, n_test: int) -> Path:
    """CIFAR-10's training JPEGs and labels as they are; the first ``n_test`` test images and submission rows."""
    src, dst = shared / "cifar10-full", work / "cifar10"
    shutil.copytree(src / "train", dst / "train")
    shutil.copy(src / "trainLabels.csv", dst)
    rows = list(csv.reader(open(src / "sampleSubmission.csv")))[:1 + n_test]
    with open(dst / "sampleSubmission.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    (dst / "test").mkdir()
    for row in rows[1:]:
        shutil.copy(src / "test" / f"{row[0]}.jpg", dst / "test")
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / "gpu"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for build in (leaves, cifar10):
        with tempfile.TemporaryDirectory() as tmp:
            folder = build(Path(args.shared), Path(tmp), args.test)
            with tarfile.open(out / f"{folder.name}.tgz", "w:gz", compresslevel=1) as tar:
                tar.add(folder, arcname=folder.name)
        print(f"{out / folder.name}.tgz: {(out / f'{folder.name}.tgz').stat().st_size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
