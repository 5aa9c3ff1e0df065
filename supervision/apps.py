from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision: audit, evidence, quality, agencies, dashboard")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the evidence chain receivers
