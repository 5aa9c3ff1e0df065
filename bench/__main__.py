"""`python -m bench`: build (or reuse) a synthetic portfolio on PostgreSQL and measure the budgets."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=int, default=100_000, help="loans in the portfolio (default 100k)")
    parser.add_argument("--only", nargs="*", default=None, help="measure only these figures")
    parser.add_argument("--out", default="bench/results", help="where to write JSON and Markdown")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its budget")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/collections_bench")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings

    if not settings.IS_POSTGRES:
        print("The benchmark runs on PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    from .runner import run

    return run(scale=args.scale, only=args.only, out_dir=args.out, strict=args.strict)


def _create_database(url: str) -> None:
    """Create the benchmark's database on first use (it is kept and reused between runs)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    params = {"host": cfg["HOST"] or None, "port": cfg["PORT"] or None, "user": cfg["USER"] or None}
    if cfg["PASSWORD"]:
        params["password"] = cfg["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


if __name__ == "__main__":
    sys.exit(main())
