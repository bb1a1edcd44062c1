"""One fast network check shared by everything that calls out (Kaggle, an MLflow server, the Hugging Face hub)."""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def reachable(url: str, timeout: float = 3.0) -> bool:
    """Does the host of ``url`` accept a connection within ``timeout`` seconds? Offline this fails in seconds,
    where the libraries' own retries would take minutes."""
    parts = urlparse(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)), timeout=timeout).close()
        return True
    except OSError:
        return False
