"""{% legal_panel %}: the case page's pause, write-off and legal path panel, with its own context
(workspace.legal), so the case page's view does not carry it."""

from __future__ import annotations

from typing import Any

from django import template

from workspace.legal import legal_panel_context

register = template.Library()


@register.inclusion_tag("workspace/_legal_panel.html", takes_context=True)
def legal_panel(context: template.Context) -> dict[str, Any]:
    request, case = context["request"], context["case"]
    return {
        "request": request,
        "case": case,
        "loan": context.get("loan") or case.loan,
        "may": context.get("may", {}),
        "csrf_token": context.get("csrf_token"),
        **legal_panel_context(request, case),
    }
