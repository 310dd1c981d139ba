"""Alembic environment: the URL comes from FEEDBACK_DATABASE_URL (or the instance default),
or from ``config.attributes["connection"]`` when the app or a test runs migrations itself."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.operations import ops
from sqlalchemy import ForeignKeyConstraint

from feedback.config import from_env
from feedback.db import Base
from feedback.db.session import make_engine

config = context.config
target_metadata = Base.metadata


def _add_cyclic_foreign_keys_last(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Autogenerate puts ``use_alter`` foreign keys (instruments.current_version_id, which closes a
    cycle with instrument_versions) inside ``create_table``, where PostgreSQL never creates them
    (alembic issue #326). Move each to a ``create_foreign_key`` after all the tables, in batch mode
    so SQLite can do it too, and rebuild the downgrade from the corrected upgrade."""
    script = directives[0]
    for upgrade_ops, downgrade_ops in zip(script.upgrade_ops_list, script.downgrade_ops_list, strict=True):
        later: list[ops.MigrateOperation] = []
        for op in upgrade_ops.ops:
            if not isinstance(op, ops.CreateTableOp):
                continue
            cyclic = [c for c in op.columns if isinstance(c, ForeignKeyConstraint) and c.use_alter]
            op.columns = [c for c in op.columns if not any(c is f for f in cyclic)]
            later.extend(
                ops.ModifyTableOps(
                    op.table_name, [ops.CreateForeignKeyOp.from_constraint(c)], schema=op.schema
                )
                for c in cyclic
            )
        if later:
            upgrade_ops.ops.extend(later)
            downgrade_ops.ops[:] = [op.reverse() for op in reversed(upgrade_ops.ops)]


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or from_env().database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = from_env()
    url = config.get_main_option("sqlalchemy.url") or settings.database_url
    engine = make_engine(settings, url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite can only alter tables by copying them; batch mode does that for us.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, process_revision_directives=_add_cyclic_foreign_keys_last)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
