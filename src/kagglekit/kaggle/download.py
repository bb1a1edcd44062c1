"""`make data`: download a competition's files with the official Kaggle API and unzip them in place."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..core.competition import CompetitionSpec
from ..core.errors import UserError
from ..core.paths import display
from .client import connect


def download(spec: CompetitionSpec, dest: Path) -> Path:
    """Download and unzip ``spec.kaggle`` into ``dest`` (Kaggle's own file layout)."""
    if not spec.kaggle:
        raise UserError(f"competitions/{spec.name}/competition.yaml has no 'kaggle' slug to download.")
    api = connect(f"downloading {spec.kaggle}", f"Or put the files in {display(dest)} yourself, or pass data_dir=PATH; "
                  "or try data=sample.")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        api.competition_download_files(spec.kaggle, path=str(dest), quiet=False)
    except Exception as exc:  # noqa: BLE001 - the API raises HTTP errors of several kinds
        raise UserError(
            f"Kaggle refused the download of {spec.kaggle}: {exc}. Accept the competition's rules on "
            f"https://www.kaggle.com/c/{spec.kaggle}/rules and try again."
        ) from None
    for archive in dest.glob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
        archive.unlink()
    return dest
