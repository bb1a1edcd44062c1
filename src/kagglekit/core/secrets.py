"""Secrets inside URLs, masked wherever a URL is shown or saved.

``scheme://user:PASSWORD@host/...`` keeps the user and host and loses the password; ``?password=...`` style query
values (password, token, secret, key) are masked too. Config files, records, the compare table, tracker params and
messages all pass through here, so a tracking or storage password never reaches a file or the screen.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)([^\s@/]+)@")
_QUERY = re.compile(r"([?&](?:password|passwd|pwd|token|secret|api_key|apikey|access_key|key)=)([^&\s#]+)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with every URL password and secret query value replaced by ``***``."""
    return _QUERY.sub(rf"\g<1>{MASK}", _USERINFO.sub(rf"\g<1>{MASK}@", text))


def mask_in(value: Any) -> Any:
    """A copy of nested dicts/lists whose strings are masked (what a saved config or record holds)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_in(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_in(v) for v in value)
    return value
