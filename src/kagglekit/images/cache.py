"""Decode and resize every image once into a uint8 array file, memory-mapped and reused by every fold and run.

The cache key covers each source file's path, size and modification time and the target size, so
a changed image or another size makes a new cache. Decoding runs in parallel processes with a
progress bar; unreadable images are collected and reported together, never discovered mid-epoch.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

import numpy as np
from tqdm.auto import tqdm

from ..core.errors import UserError
from ..core.io import atomic_write_text, unwritable_message
from ..core.paths import display


@dataclass
class CachedImages:
    array: np.ndarray  # (N, size, size, 3) uint8, memory-mapped
    bad: List[Tuple[int, str, str]]  # (index, path, error) of images that could not be decoded
    seconds: float  # time spent decoding now (0 when the cache already existed)
    path: Path


def _eight_bit(img):
    """16-bit or 32-bit grayscale (PNG ``I;16``, TIFF ``I``/``F``) scaled to 8 bits: PIL's own conversion clips every
    value above 255, so a 16-bit picture would come out blank white."""
    from PIL import Image

    if img.mode.startswith("I;16") or img.mode == "I":
        values = np.asarray(img, dtype=np.float64) / 257.0  # 65535 -> 255
    elif img.mode == "F":
        values = np.asarray(img, dtype=np.float64)
        values = values * 255.0 if values.max(initial=0) <= 1.0 else values  # floats in [0, 1], else 0-255
    else:
        return img
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")


def decode(path: str, size: int) -> np.ndarray:
    """One image as size x size RGB uint8 (JPEG draft mode decodes big files at a reduced scale; 16-bit gray scaled)."""
    from PIL import Image

    with Image.open(path) as img:
        img.draft("RGB", (size, size))
        img = _eight_bit(img).convert("RGB")
        if img.size != (size, size):
            img = img.resize((size, size), Image.BILINEAR, reducing_gap=2.0)
        return np.asarray(img, dtype=np.uint8)


def _decode_one(args):
    i, path, size = args
    try:
        return i, decode(path, size), None
    except Exception as exc:  # noqa: BLE001 - any decoder failure marks the file as bad
        return i, None, f"{type(exc).__name__}: {exc}"


def files_key(paths: Sequence[Path]) -> str:
    """Hash of each file's path, size and modification time: any changed picture changes it."""
    h = hashlib.sha1()
    for p in paths:
        try:
            st = os.stat(p)
            h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{p}|missing\n".encode())
    return h.hexdigest()[:16]


def cache_key(paths: Sequence[Path], size: int) -> str:
    return hashlib.sha1(f"{size}|{files_key(paths)}".encode()).hexdigest()[:16]


def _no_space(exc: OSError, tmp: Path, target: Path) -> UserError:
    tmp.unlink(missing_ok=True)
    return UserError(unwritable_message(exc, f"the image cache {display(target)}"))


def _reserved_memmap(tmp: Path, shape: Tuple[int, ...], target: Path) -> np.memmap:
    """A new .npy array file at ``tmp``, its blocks reserved on disk first: writing a memory map onto a full disk
    kills the process with SIGBUS, a reservation that does not fit fails here, in one line."""
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
        if hasattr(os, "posix_fallocate") and out.size:
            with open(tmp, "r+b") as f:
                os.posix_fallocate(f.fileno(), 0, out.offset + out.size)
        return out
    except OSError as exc:
        raise _no_space(exc, tmp, target) from None


def _remove_dead_temporaries(target: Path) -> None:
    """Half-built caches of processes that died mid-write (killed, or a crash): never read, only in the way."""
    for old in target.parent.glob(f".{target.name}.tmp*"):
        pid = old.name.rsplit(".tmp", 1)[-1].split(".")[0]
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                old.unlink(missing_ok=True)
            except PermissionError:
                pass  # alive, another user's


@contextmanager
def _new_cache_file(target: Path, shape: Tuple[int, ...]) -> Iterator[np.memmap]:
    """The array file ``target`` being written: a memory map on a temporary beside it (blocks reserved first), renamed
    into place when the block ends, removed if it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_temporaries(target)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    out = _reserved_memmap(tmp, shape, target)
    try:
        yield out
        out.flush()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    del out
    try:
        os.replace(tmp, target)
    except OSError as exc:
        raise _no_space(exc, tmp, target) from None


def cached_pixels(pixels: np.ndarray, key: str, size: int, cache_dir: Path) -> CachedImages:
    """Pictures stored as CSV rows (N, H, W, C uint8), resized to ``size`` once and cached like decoded files."""
    from PIL import Image

    array_path = cache_dir / f"{key}-pixels-{size}px.npy"
    if array_path.exists():
        return CachedImages(np.load(array_path, mmap_mode="r"), [], 0.0, array_path)
    start = time.perf_counter()
    with _new_cache_file(array_path, (len(pixels), size, size, 3)) as out:  # written in place: no copy in memory
        for i, img in enumerate(pixels):
            rgb = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
            if rgb.shape[:2] != (size, size):
                rgb = np.asarray(Image.fromarray(rgb).resize((size, size), Image.BILINEAR))
            out[i] = rgb
    return CachedImages(np.load(array_path, mmap_mode="r"), [], time.perf_counter() - start, array_path)


def cached_images(paths: Sequence[Path], size: int, cache_dir: Path, workers: int = 0, desc: str = "decode") -> CachedImages:
    """The images of ``paths`` at ``size``: from the cache, or decoded now in parallel and saved."""
    key = cache_key(paths, size)
    array_path = cache_dir / f"{key}-{size}px.npy"
    meta_path = array_path.with_suffix(".json")
    if array_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return CachedImages(np.load(array_path, mmap_mode="r"), [tuple(b) for b in meta["bad"]], 0.0, array_path)
    start = time.perf_counter()
    bad = []
    jobs = [(i, str(p), size) for i, p in enumerate(paths)]
    n_workers = workers or os.cpu_count() or 1
    with _new_cache_file(array_path, (len(paths), size, size, 3)) as out:
        bar = tqdm(total=len(jobs), desc=f"{desc} {size}px", unit="img")
        if n_workers == 1 or len(jobs) < 64:
            results = map(_decode_one, jobs)
            pool = None
        else:
            pool = get_context("fork").Pool(n_workers)
            results = pool.imap_unordered(_decode_one, jobs, chunksize=64)
        try:
            for i, img, err in results:
                if err is None:
                    out[i] = img
                else:
                    bad.append((i, jobs[i][1], err))
                bar.update(1)
        finally:
            bar.close()
            if pool is not None:
                pool.close()
                pool.join()
    atomic_write_text(meta_path, json.dumps({"n": len(paths), "size": size, "bad": sorted(bad)}))
    return CachedImages(np.load(array_path, mmap_mode="r"), sorted(bad), time.perf_counter() - start, array_path)
