"""Where a study lives: SQLite under runs/<comp>/ by default, or any database URL, checked before the first trial."""

from __future__ import annotations

from typing import Optional


from ..core.errors import UserError
from ..core.paths import runs_root


def storage_url(comp: str, storage: Optional[str]) -> str:
    """The study's database: ``storage`` (checked: its driver is installed and the server answers) or SQLite under
    runs/<comp>/."""
    if storage:
        url = with_installed_driver(storage)
        check_storage(url)
        return url
    path = runs_root() / comp / "optuna.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def with_installed_driver(url: str) -> str:
    """``postgresql://`` with the PostgreSQL driver that is installed: SQLAlchemy 2.1 reads a bare ``postgresql://`` as
    psycopg 3, and this project installs psycopg2."""
    import importlib.util

    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres") and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql+psycopg2://{rest}"
    return url


def check_storage(url: str) -> None:
    """Fail at once, in one line naming the fix (UserError masks the password), when a storage URL is malformed, its driver is missing or its server
    does not answer (within 10 s)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    networked = not url.startswith("sqlite")
    try:
        engine = create_engine(url, **({"connect_args": {"connect_timeout": 10}} if networked else {}))
    except (ImportError, NoSuchModuleError) as exc:
        raise UserError(f"storage={url}: its database driver is not installed ({exc}). For PostgreSQL install "
                        "psycopg2-binary; SQLite needs nothing (storage=sqlite:///path.db).") from None
    except (ArgumentError, ValueError) as exc:
        raise UserError(f"storage={url}: not a database URL ({exc}); e.g. "
                        "postgresql://user@host:5432/db.") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise UserError(f"storage={url}: the database does not answer ({reason}). Start the server, or fix the host, "
                        "port, user, password and database name in the URL.") from None
    finally:
        engine.dispose()
