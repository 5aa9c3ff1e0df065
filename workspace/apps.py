from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The collector's workstation: the work queue, the case page and its actions. It sits above the
    domain apps because one page brings them together; it owns no models."""

    name = "workspace"
    verbose_name = _("Collector workspace")
