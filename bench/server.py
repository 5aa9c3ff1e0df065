"""A gunicorn server of the real app on loopback, for the load generator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2, app: str = "config.wsgi:application", settings_module: str = "config.settings"):
    """The product (by default) or another WSGI app of this tree (the floor, bench.bare) on loopback, with
    the product's own database settings (persistent connections included)."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "false",
        # Plain HTTP on loopback, as behind a TLS-terminating proxy: no redirect to https.
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_THROTTLE_RATE": "1000000/min",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            # A 10,000-loan upload on a busy machine outlasts gunicorn's 30 s default.
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Up when a worker answers (the port opens before any worker has imported the app).
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.settimeout(60)
                    s.sendall(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if s.recv(16).startswith(b"HTTP/"):
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
