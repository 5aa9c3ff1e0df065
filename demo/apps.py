from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo portfolio and activity for `make run`, and the CSV import: tooling over the domain
    apps, kept out of them (it sits at the top of the layers and may import any app)."""

    name = "demo"
    verbose_name = _("Demo and import")
