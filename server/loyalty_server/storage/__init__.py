"""Storage: one async SQLAlchemy engine (SQLite by default, PostgreSQL by URL), the schema, migrations."""
