from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # A pause's hold ends with its pause: lifting it through the holds API takes the pause's path.
        from borrowers.models import HoldKind  # models are importable only once the apps are loaded
        from borrowers.services import hold_ender_register  # imports the models too

        from .pauses import pause_hold_end  # imports the models too

        hold_ender_register(HoldKind.PAUSED, pause_hold_end)
