from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared bottom layer: database, API and page helpers any app may use. It imports no app."""

    name = "core"
    verbose_name = "Core"
