from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # the app's own config, beside the admin's below
    name = "accounts"
    verbose_name = _("Accounts")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin (installed in its place) with the role matrix's site (accounts.admin_site)."""

    default = False
    default_site = "accounts.admin_site.RoleAdminSite"
