"""Schema migrations (Alembic), run from code: ``vida db upgrade`` and at studio start."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from control.db import DatabaseError


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` with the migrations shipped in ``control/migrations``."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("control") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creates it from empty).

    ``DatabaseError`` says, in a sentence, when the database cannot be reached or opened.
    """
    try:
        command.upgrade(alembic_config(url), "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot open the database {shown(url)}: {reason(exc)}") from None


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line, which names what went wrong."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__


def is_current(url: str) -> bool:
    """Whether the database is at the newest schema."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()
