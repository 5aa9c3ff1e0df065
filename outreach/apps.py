from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach: templates, channels, strategies and reminders")

    def ready(self) -> None:
        from . import receivers, scoring  # noqa: F401 - connect the payment and refresh receivers
