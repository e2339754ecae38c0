"""Alembic's entry point: migrate the database named by the Alembic config's URL."""

from alembic import context
from sqlalchemy import create_engine

from control.models import Base

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.startswith("sqlite"),  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
