"""Alembic migrations of the sselab store (run by :func:`sselab.store.engine.upgrade`)."""
