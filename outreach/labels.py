"""The seeded strategies' and message templates' names in the reader's language (issue 15, item 8).

A seeded strategy is known by its stored name (unique, fixed by outreach.default_strategies) and a template
by its code: each is the key of its translated label here. A strategy or template an administrator adds
keeps the name it was given, as written."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Keyed by the names outreach.default_strategies seeds (DEMO_STRATEGY_NAME, PLAN_STRATEGY_NAME,
# SEGMENT_STRATEGIES); tests/outreach check that every seeded one has its label.
STRATEGY_LABELS: dict[str, str | Promise] = {
    "Default staged reminders": _("Default staged reminders"),
    "Repayment plan reminders": _("Repayment plan reminders"),
    "Low risk: digital first": _("Low risk: digital first"),
    "High risk: a collector from day 1": _("High risk: a collector from day 1"),
    "Vulnerable borrowers: humane": _("Vulnerable borrowers: humane"),
}

TEMPLATE_LABELS: dict[str, str | Promise] = {
    "pre-due-sms": _("Before the due date (SMS)"),
    "due-day-sms": _("On the due date (SMS)"),
    "overdue-sms": _("Overdue reminder (SMS)"),
    "overdue-push": _("Overdue reminder (app push)"),
    "robot-call": _("Automated call"),
    "support-sms": _("Offer of help (SMS)"),
    "lawyer-letter": _("Lawyer letter"),
    "final-notice": _("Final notice"),
    "plan-pre-due-sms": _("Plan installment coming due (SMS)"),
    "plan-due-day-sms": _("Plan installment due today (SMS)"),
}


def strategy_label(name: str) -> str:
    return str(STRATEGY_LABELS.get(name, name))


def template_label(code: str) -> str:
    return str(TEMPLATE_LABELS.get(code, code))
