from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepaymentPlansConfig(AppConfig):
    name = "repayment_plans"
    verbose_name = _("Repayment plans")

    def ready(self) -> None:
        # Plans' admin lives beside admin.py (owned by the promises work) and registers itself here.
        from . import admin_plans  # noqa: F401
