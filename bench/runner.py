"""Runs every figure next to its baseline and writes one table as JSON and Markdown."""

from __future__ import annotations

import datetime as dt
import json
import platform as py_platform
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from rich.console import Console
from rich.table import Table

from . import figures
from .portfolio import ensure_portfolio
from .result import Figure


def run(*, scale: int, only: list[str] | None, out_dir: str, strict: bool = False) -> int:
    console = Console(stderr=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # the pages render with production storage
    console.print(f"[bold]Portfolio[/] at {scale:,} loans")
    info = ensure_portfolio(scale)
    console.print(
        f"{'reused' if info.reused else 'built'}: {info.borrowers:,} borrowers, {info.loans:,} loans, "
        f"{info.contacts:,} contact attempts"
    )
    # Statistics as autovacuum would keep them (it is off on some machines, this one included): earlier
    # runs added loans, payments and cases in bulk.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    results: list[Figure] = []
    for name, measure in figures.ALL.items():
        if only and name not in only:
            continue
        console.print(f"measuring [cyan]{name}[/]…")
        results.extend(measure(info))
    _print(console, results)
    _write(Path(out_dir), scale, results)
    return 1 if strict and not all(f.passed for f in results) else 0


def _print(console: Console, results: list[Figure]) -> None:
    table = Table(title="Performance budgets")
    for col in ("figure", "value", "baseline", "ratio", "floor", "budget", "result"):
        table.add_column(col)
    for f in results:
        table.add_row(*f.cells())
    Console().print(table)


def _write(out: Path, scale: int, results: list[Figure]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    meta = {"scale": scale, "at": stamp, "machine": py_platform.platform(), "cpus": __import__("os").cpu_count()}
    payload = {**meta, "figures": [f.as_dict() for f in results]}
    (out / f"bench-{scale}.json").write_text(json.dumps(payload, indent=2))
    lines = [
        f"# Benchmark at {scale:,} loans ({stamp})",
        "",
        "| figure | value | baseline | ratio | floor | budget | result |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(f.cells()) + " |" for f in results]
    (out / f"bench-{scale}.md").write_text("\n".join(lines) + "\n")
