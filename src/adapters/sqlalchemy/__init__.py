"""SQLAlchemy adapters: tables, engine, repositories, unit of work and migrations."""
