"""Alembic environment: runs against the engine of the Flask app that invoked it."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from segments_app.models import include_object
from segments_app.services.longwork import lift_statement_timeout

config = context.config
if config.config_file_name is not None:
    # Keep loggers the app (or a test run) already configured.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
metadata = migrate_ext.db.metadata


def _skip_empty(context_, revision, directives):
    """`flask db migrate` with no schema change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", _skip_empty)
    args.setdefault("compare_type", True)
    args.setdefault("include_object", include_object)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, **args)
        with context.begin_transaction():
            # a migration rewrites whole tables: no request's statement timeout for it
            lift_statement_timeout(connection)
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
