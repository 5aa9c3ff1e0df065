"""The one test of whether a page request wants only its fragment back."""

from __future__ import annotations

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page (a boosted navigation wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted)
