"""gunicorn's settings for the web container (Dockerfile, docker-compose.yml): `gunicorn -c config/gunicorn.py`.

- WEB_CONCURRENCY worker processes (3 by default), on port 8000.
- /metrics sums every worker: prometheus-client's multiprocess mode, in a directory made fresh for each
  start of gunicorn (PROMETHEUS_MULTIPROC_DIR, set here before any worker imports prometheus-client),
  and a dead worker's live gauges are dropped (`child_exit`).
- One access line per request on standard output: time, method, path without its query string (a search
  may carry a borrower's name or phone number), status, bytes, duration and the request id; no client
  address.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-web-")


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
