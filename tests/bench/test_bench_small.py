"""The benchmark at a small scale, so it never rots: every figure is measured and written out.

Budgets are for the 1M-loan portfolio on PostgreSQL (docs/performance.md); here only the run is checked.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

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


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the dispatch figure needs Redis (CI sets REDIS_URL)")
def test_the_benchmark_runs_at_small_scale_and_writes_every_figure(tmp_path):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/collections_bench_ci"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
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
