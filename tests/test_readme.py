"""The README's commands work as written, in a clean environment: a fresh copy of the committed tree (no
database, no var/, no environment variables of this machine), the quick start's `make run` up to the
demo sign-ins (its set-up part: migrations, demo data, the web answering; the project's virtualenv
stands in for the package installation, which is measured in the README instead), then the API example
as written, in a second shell against that live server (on a free port instead of 8000), then Ctrl-C.

`make test` is the suite this test belongs to, so it is only checked to be there."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV = Path(sys.prefix) if sys.prefix != sys.base_prefix else None  # the virtualenv running the tests
TOOLS = {name: shutil.which(name) or name for name in ("git", "tar", "make", "bash")}
pytestmark = pytest.mark.xdist_group("readme")


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _commands(title: str) -> list[str]:
    """The lines of the section's ```sh blocks, comments and blank lines left out."""
    blocks = re.findall(r"```sh\n(.*?)```", _section(title), flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def test_the_quick_start_is_make_run_and_make_test():
    assert _commands("Quick start") == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


@pytest.mark.skipif(VENV is None, reason="needs the project's virtualenv (.venv)")
def test_make_run_then_the_api_example_work_as_written_in_a_clean_copy(tmp_path):
    api_example = _commands("The platform API")
    assert len(api_example) == 2 and api_example[0].startswith("KEY=$(") and api_example[1].startswith("curl ")
    repo = tmp_path / "repo"
    repo.mkdir()
    # The committed tree, as a clone would have it (S603: our own tools on our own repository).
    archive = subprocess.run(  # noqa: S603
        [TOOLS["git"], "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True
    ).stdout
    subprocess.run([TOOLS["tar"], "-x", "-C", str(repo)], input=archive, check=True)  # noqa: S603
    (repo / ".venv").symlink_to(VENV)
    port = _free_port()
    env = _clean_env()

    # `make run`, its package step taken as done (-o: the stamp is not remade into the shared virtualenv).
    run = subprocess.Popen(  # noqa: S603 - the README's command
        [TOOLS["make"], "-o", ".venv/.installed-run", "run", f"PORT={port}"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 600
        assert run.stdout is not None
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("╰"):  # the sign-ins' frame closes: the web answers
                break
        assert any("Demo sign-ins" in line for line in output), "".join(output)[-3000:]
        assert (repo / "db.sqlite3").exists()  # SQLite in the copy, nothing of this machine's

        # The API example, as written, in a second shell (the port is the only change).
        script = "set -e\n" + "\n".join(api_example).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        example = subprocess.run(  # noqa: S603 - the README's commands
            [TOOLS["bash"], "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=180
        )
        assert example.returncode == 0, example.stderr
        body = json.loads(example.stdout)
        assert "results" in body and "detail" not in body, example.stdout
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
            try:
                rest, _ = run.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                rest, _ = run.communicate()
            output.append(rest or "")
    printed = "".join(output)
    assert "Traceback" not in printed and "Segmentation fault" not in printed, printed[-3000:]
