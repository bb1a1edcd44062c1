"""The official Kaggle API, reached only after a quick check: credentials present and the API's host answering.

Offline or without credentials every command that needs Kaggle stops in seconds with one line that says what to do,
before anything is written. The host checked is kagglesdk's endpoint (``KAGGLE_API_ENVIRONMENT`` moves it; the
``kaggle`` package's own client ignores that variable and always calls api.kaggle.com).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlparse

from ..core.errors import UserError
from ..core.net import reachable

CREDENTIALS_HELP = ("create a token at kaggle.com > Settings > API and save it as ~/.kaggle/kaggle.json (chmod 600), "
                    "or set KAGGLE_USERNAME and KAGGLE_KEY")


def has_credentials() -> bool:
    """Kaggle credentials present (kaggle.json, or the environment variables the API reads)."""
    home = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (home / "kaggle.json").exists() or bool(os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY")) \
        or bool(os.environ.get("KAGGLE_API_TOKEN")) or (home / "access_token").exists()


def api_endpoint() -> str:
    """The URL the ``kaggle`` package will call (https://api.kaggle.com unless KAGGLE_API_ENVIRONMENT says otherwise)."""
    try:
        from kagglesdk.kaggle_env import get_endpoint, get_env

        return get_endpoint(get_env())
    except Exception:  # noqa: BLE001 - an unknown environment name: let the real call report it
        return "https://api.kaggle.com"


def connect(action: str, fallback: str):
    """An authenticated ``KaggleApi``, or one UserError naming what is missing and ``fallback`` (what to do instead)."""
    if not has_credentials():
        raise UserError(f"{action} needs Kaggle API credentials: {CREDENTIALS_HELP}. {fallback}")
    if not reachable(api_endpoint()):
        raise UserError(f"{action}: cannot reach {urlparse(api_endpoint()).hostname} (no network?). {fallback}")
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    api.authenticate()
    return api


def submit_file(slug: str, path: Path, message: str) -> Dict:
    """Upload ``path`` as a submission to competition ``slug``; Kaggle's reference and reply."""
    api = connect("submit", f"Upload {path} by hand on https://www.kaggle.com/c/{slug}/submit.")
    try:
        reply = api.competition_submit(str(path), message, slug, quiet=True)
    except Exception as exc:  # noqa: BLE001 - the API raises HTTP errors of several kinds
        raise UserError(f"Kaggle refused the submission to {slug}: {exc}. Check that you joined the competition "
                        f"(https://www.kaggle.com/c/{slug}/rules) and have submissions left today.") from None
    if reply.message == api.COMPETITION_SUBMIT_UPLOAD_FAILED_MESSAGE:
        raise UserError(f"the upload of {path} to {slug} did not complete; nothing was submitted. Try again.")
    return {"ref": int(reply.ref or 0) or None, "reply": reply.message}


def list_submissions(slug: str) -> List[Dict]:
    """Our submissions to ``slug`` with their status and public (and, after the deadline, private) scores."""
    api = connect("leaderboard", "Scores stay as they were; try again when online.")
    try:
        subs = api.competition_submissions(slug, page_size=100) or []
    except Exception as exc:  # noqa: BLE001
        raise UserError(f"Kaggle refused to list the submissions of {slug}: {exc}.") from None
    return [{"ref": int(s.ref), "file": s.file_name, "description": s.description, "status": str(s.status),
             "public_score": _score(s.public_score), "private_score": _score(s.private_score)} for s in subs if s]


def _score(text):
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
