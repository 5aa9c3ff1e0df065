import os
import tempfile

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# The worker's metrics (config.metrics.start_worker_exporter): its pool processes count into files that
# its main process serves, so the directory is chosen before prometheus-client is first imported.
METRICS_WORKER_PORT = int(os.environ.get("METRICS_WORKER_PORT") or 0)
if METRICS_WORKER_PORT and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-worker-")

app = Celery("collections")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _serve_worker_metrics(**_kwargs: object) -> None:
    if METRICS_WORKER_PORT:
        from .metrics import start_worker_exporter  # deferred: config.metrics needs the apps loaded

        start_worker_exporter(METRICS_WORKER_PORT)
