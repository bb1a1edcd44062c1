"""Reading the files a user points at, with one clear message for every way they can be wrong."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Optional, Sequence

import pandas as pd
import yaml

from .errors import UserError
from .paths import competitions_dir, data_root, display

COMPRESSED = (".zip", ".gz", ".bz2", ".xz", ".zst")  # what pandas reads as it is (one CSV inside a zip)


def read_yaml(path: Path) -> dict:
    """Parse a YAML mapping, turning syntax errors into a message that names the file."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}). Fix the file's syntax.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of key: value at the top level.")
    return data


def sample_dir(comp: str) -> Path:
    """Where `make sample comp=X` writes the generated sample."""
    return data_root() / "samples" / comp


def recorded_data_dir(comp: str, label: Optional[str]) -> Path:
    """The folder a run record's ``data`` label names: the generated sample, a data folder, or (none) data/<comp>."""
    return resolve_data_dir(comp, None if label == "sample" else label, label == "sample")


def resolve_data_dir(comp: str, data_dir: Optional[str], sample: bool) -> Path:
    """The folder to read: data_dir if given, the generated sample if asked, else data/<comp>."""
    if data_dir:
        return Path(data_dir).expanduser()
    if sample:
        return sample_dir(comp)
    return data_root() / comp


def how_to_get(comp: str) -> str:
    return (
        f"Get the data with `make data comp={comp}` (Kaggle API: needs ~/.kaggle/kaggle.json and the "
        f"competition's rules accepted on kaggle.com), or point to a folder in Kaggle's layout with "
        f"data_dir=PATH; or try the pipeline on a generated sample with data=sample."
    )


def file_fingerprint(paths: Iterable[Path]) -> str:
    """Short content hash of files (changes whenever any byte does)."""
    h = hashlib.sha1()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:10]


def locate_table(path: Path) -> Path:
    """``path``, or the compressed copy beside it (``train.csv.zip`` as Kaggle ships it), which pandas reads as it is;
    ``path`` itself when neither exists."""
    if path.exists():
        return path
    for suffix in COMPRESSED:
        packed = path.with_name(path.name + suffix)
        if packed.exists():
            return packed
    return path


def found_instead(path: Path) -> str:
    """What the folder holds in place of ``path``: Kaggle's competition zip (to unzip there), or its CSV files."""
    folder = path.parent
    if not folder.is_dir():
        return ""
    zips = sorted(p.name for p in folder.glob("*.zip"))
    if zips:
        return (f" The folder holds {', '.join(zips[:3])}, Kaggle's download as it comes: unzip it there "
                f"(unzip -o {display(folder / zips[0])} -d {display(folder)}).")
    csvs = sorted(p.name for p in folder.glob("*.csv*"))
    return f" The folder holds {', '.join(csvs[:6])}: name the right one under files: in the competition.yaml." if csvs else ""


def read_table(path: Path, comp: str, text: Sequence[str] = (), **read_csv) -> pd.DataFrame:
    """Read one CSV (or its ``.zip``/``.gz`` copy), the ``text`` columns (ids) as text; a missing, empty or misread
    file is a UserError that says how to get or read it."""
    path = locate_table(path)
    if not path.exists():
        raise UserError(f"data for {comp} not found: {display(path)} is missing.{found_instead(path)} {how_to_get(comp)}")
    if text:
        given = read_csv.get("dtype") or {}
        read_csv = {**read_csv, "dtype": {**{c: str for c in text}, **given} if isinstance(given, dict) else given}
    yaml_path = display(competitions_dir() / comp / "competition.yaml")
    try:
        df = pd.read_csv(path, **read_csv)
    except pd.errors.EmptyDataError:
        raise UserError(f"{display(path)} is empty. Download it again or regenerate it (data=sample).") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{display(path)} is not UTF-8 text ({exc.reason} at byte {exc.start}). If it is latin-1 (or "
                        f"another encoding), say so in {yaml_path}: read_csv: {{encoding: latin-1}}.") from None
    except pd.errors.ParserError as exc:
        raise UserError(f"{display(path)} is not a readable CSV ({exc}).") from None
    except ValueError as exc:  # e.g. a zip holding several files
        raise UserError(f"{display(path)} cannot be read as one CSV ({exc}). Unpack it into the data folder.") from None
    if df.empty:
        raise UserError(f"{display(path)} has a header but no rows. Download it again.")
    header = str(df.columns[0])
    if len(df.columns) == 1 and "sep" not in read_csv and any(c in header for c in ";\t|"):
        sep = next(c for c in ";\t|" if c in header)
        raise UserError(f"{display(path)} is not comma-separated: its header is one column '{header[:60]}'. Say how it "
                        f"is separated in {yaml_path}: read_csv: {{sep: {json.dumps(sep)}}}.")
    return df


def require_columns(df: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(
            f"{display(path)}: missing {what} column(s) {missing}; it has {list(df.columns)[:12]}"
            f"{'...' if len(df.columns) > 12 else ''}. Check the file, or the column names in the competition.yaml."
        )
