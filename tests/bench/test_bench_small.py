"""The benchmark at a small scale, so it never rots: every figure is measured and written out.

Budgets are for the 1M-loan portfolio on PostgreSQL (docs/performance.md); here only the run is checked.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "delinquency refresh",
    "gate decision p50",
    "gate decision p95",
    "gate decision p99",
    "work queue p95",
    "case page p95",
    "work queue queries",
    "case page queries",
    "reminder dispatch",
    "payments API",
    "bulk loan ingest",
}

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("worker")]


@pytest.fixture
def bench_database() -> Iterator[str]:
    """The URL of a database of this run's own, dropped afterwards. Named by the run and the xdist
    worker (tests/conftest.py), so that two suites on one PostgreSQL never wait on each other's database."""
    db = settings.DATABASES["default"]
    name = f"collections_bench_{os.environ.get('COLLECTIONS_TEST_RUN_ID', 'solo')}"
    name += f"_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    server = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    auth = (db["USER"] or "postgres") + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    yield f"postgres://{auth}@{server}/{name}"
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"] or "postgres"}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        # FORCE: a server or worker the benchmark started may not have let go of it yet.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the dispatch figure needs Redis (CI sets REDIS_URL)")
def test_the_benchmark_runs_at_small_scale_and_writes_every_figure(tmp_path, bench_database):
    env = {**os.environ, "DATABASE_URL": bench_database, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.setdefault("SECRET_KEY", "bench-test-secret")
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench", "--scale", "2000", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "bench-2000.json").read_text())
    names = {f["name"] for f in report["figures"]}
    assert names == FIGURES
    for figure in report["figures"]:
        assert figure["value"] >= 0 and figure["budget"] > 0
    assert (tmp_path / "bench-2000.md").read_text().startswith("# Benchmark at 2,000 loans")
