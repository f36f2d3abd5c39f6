"""Alembic environment: the engine comes from leadbridge (config.attributes['engine'])."""

from alembic import context

from leadbridge.store.schema import build_metadata

target_metadata = build_metadata()


def run() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect().execution_options(write=True) as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


run()
