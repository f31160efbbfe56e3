"""Create the demo's Postgres database when the server is up and the database is missing.

    python scripts/demo_database.py postgres://postgres@127.0.0.1:5432/memberhub

Exits 0 when the database exists or was created (printing which), 1 with the server's words when
it cannot be reached or the database cannot be created. Not a Postgres URL: nothing to do.
"""

import sys

import dj_database_url
import psycopg
from psycopg import sql


def database_ensure(url: str) -> str:
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return f"{config['ENGINE'].rsplit('.', 1)[-1]} database {config['NAME']}: nothing to create"
    connect = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None,
               "password": config["PASSWORD"] or None, "connect_timeout": 5}
    name = config["NAME"]
    try:
        psycopg.connect(dbname=name, **connect).close()
        return f"database {name} exists"
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(dbname="postgres", autocommit=True, **connect) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:  # created meanwhile by another run
            return f"database {name} exists"
    return f"created database {name}"


if __name__ == "__main__":
    try:
        print(database_ensure(sys.argv[1]))
    except psycopg.Error as exc:
        print(f"cannot prepare the database: {str(exc).strip()}", file=sys.stderr)
        sys.exit(1)
