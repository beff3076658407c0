"""Adapters on asyncpg alone: the read side on PostgreSQL, without SQLAlchemy at run time."""
