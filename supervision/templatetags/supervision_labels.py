"""Names for people where records hold codes: rule packs with their versions, rules."""

from __future__ import annotations

from typing import Any

from django import template

from compliance.rule_names import pack_versions_text, rule_name

register = template.Library()


@register.filter
def pack_versions(versions: Any) -> str:
    """`{{ decision.pack_versions|pack_versions }}`: "United States (federal), version 1; Common rules, version 1"."""
    return pack_versions_text(versions if isinstance(versions, dict) else None)


@register.filter
def rule_label(code: Any) -> str:
    """`{{ reason.code|rule_label }}`: the rule's name in the active language."""
    return rule_name(str(code or ""))
