"""`make data`: download a competition's files with the official Kaggle API and unzip them in place."""

from __future__ import annotations

import os
import socket
import zipfile
from pathlib import Path

from .competition import CompetitionSpec
from .errors import UserError
from .paths import display


def has_credentials() -> bool:
    """Kaggle credentials present (kaggle.json, or the environment variables the API reads)."""
    home = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (home / "kaggle.json").exists() or bool(os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY")) \
        or bool(os.environ.get("KAGGLE_API_TOKEN")) or (home / "access_token").exists()


def kaggle_reachable(timeout: float = 3.0) -> bool:
    """Can we open a connection to kaggle.com? Fails in seconds when offline instead of hanging."""
    try:
        socket.create_connection(("www.kaggle.com", 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def download(spec: CompetitionSpec, dest: Path) -> Path:
    """Download and unzip ``spec.kaggle`` into ``dest`` (Kaggle's own file layout)."""
    if not spec.kaggle:
        raise UserError(f"competitions/{spec.name}/competition.yaml has no 'kaggle' slug to download.")
    if not has_credentials():
        raise UserError(
            "no Kaggle API credentials: create a token at kaggle.com > Settings > API and save it as "
            "~/.kaggle/kaggle.json (chmod 600), or set KAGGLE_USERNAME and KAGGLE_KEY. "
            f"Or put the files in {display(dest)} yourself, or pass data_dir=PATH."
        )
    if not kaggle_reachable():
        raise UserError(
            f"cannot reach www.kaggle.com (no network?). Download {spec.kaggle} elsewhere and unzip it into "
            f"{display(dest)}, or pass data_dir=PATH; or try data=sample."
        )
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    api.authenticate()
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
