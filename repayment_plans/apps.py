from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepaymentPlansConfig(AppConfig):
    name = "repayment_plans"
    verbose_name = _("Repayment plans")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the payment receiver
