"""Durable state: contacts, conversations, messages and assessments (SQLAlchemy 2, async).

SQLite (aiosqlite, WAL) is the embedded default; PostgreSQL (asyncpg) is the production database.
The schema changes only through the Alembic migrations in `migrations/`."""
