"""Locale formats that differ from Django's own (settings.FORMAT_MODULE_PATH); anything not set here falls back
to Django's locale module for the language."""
