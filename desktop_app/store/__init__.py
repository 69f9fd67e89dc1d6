"""Storage: the SQLite file through SQLAlchemy 2, Alembic migrations, repositories, the run lock."""
