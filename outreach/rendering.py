"""Filling a message template for one reminder, and screening template text for prohibited content."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from cases.models import Installment
from compliance.screening import screen_text
from portal.models import LinkSource
from portal.services import portal_link_create

if TYPE_CHECKING:
    from cases.models import Case

    from .models import MessageTemplate

# Every SMS and email tells how to opt out (US `missing_opt_out` checks for "STOP" / "unsubscribe").
OPT_OUT_TEXT = {
    ("sms", "en"): "Reply STOP to opt out.",
    ("sms", "zh-hans"): "回复TD退订 (STOP)。",
    ("email", "en"): "To unsubscribe from these reminders, reply with 'unsubscribe'.",
    ("email", "zh-hans"): "如需退订此类提醒，请回复“退订”(unsubscribe)。",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    language: str


class _Missing(dict):
    """format_map helper: an unknown placeholder stays visible instead of raising in a worker."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- what a template may hold ---------------------------------------------------------------------------

# The placeholders a template may use; `reminder_context` fills every one of them.
TEMPLATE_PLACEHOLDERS = frozenset(
    {"borrower_name", "amount", "currency", "due_date", "dpd", "loan_ref", "platform_name", "opt_out", "portal_link"}
)
# Each placeholder at the longest value a case can give it (and of the type it has): a template that renders
# within its channel's limit with these renders within it for every case. Names and platform names are at
# most 200 characters, loan references (external ids) 100, amounts 14 digits.
SAMPLE_CONTEXT: dict[str, Any] = {
    "borrower_name": "W" * 200,
    "amount": f"{Decimal('999999999999.99'):,.2f}",
    "currency": "CNY",
    "due_date": "2026-12-31",
    "dpd": 99_999,
    "loan_ref": "L" * 100,
    "platform_name": "P" * 200,
    "opt_out": max(OPT_OUT_TEXT.values(), key=len),
    # PORTAL_BASE_URL of up to 100 characters, the path and the token (22 characters; 43 allowed for).
    "portal_link": "https://" + "h" * 92 + "/p/" + "T" * 43 + "/",
}
# Rendered length limits, in characters: an SMS of at most ten parts, an e-mail subject within one header
# line (RFC 5322), a robot call's script, a letter's or an e-mail's text.
MAX_SUBJECT_LENGTH = 998
MAX_BODY_LENGTH = {"sms": 1600, "call": 2000}
MAX_OTHER_BODY_LENGTH = 20_000
# A width or precision in a placeholder's format (`{amount:>12}`) is at most this: `{amount:>50000000}`
# would render a 50 MB SMS.
MAX_FORMAT_WIDTH = 60
_CONVERSIONS = (None, "r", "s", "a")
_NUMBER = re.compile(r"\d+")


class TemplateError(ValueError):
    """A template cannot be rendered (one saved before templates were checked by rendering them)."""


def max_body_length(channel: str) -> int:
    return MAX_BODY_LENGTH.get(channel, MAX_OTHER_BODY_LENGTH)


def _placeholder_errors(text: str) -> list[str]:
    """What makes `text` no template of ours, placeholder by placeholder (empty: none)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError as exc:  # an unbalanced brace, or a conversion without its letter
        return [_("Not a valid template: %(error)s. Write a literal brace twice: {{ or }}.") % {"error": exc}]
    errors: list[str] = []
    unknown: set[str] = set()
    for name, spec, conversion in fields:
        if name is None:  # literal text only
            continue
        if name not in TEMPLATE_PLACEHOLDERS:
            unknown.add("{" + name + "}")
            continue
        if conversion not in _CONVERSIONS:
            errors.append(
                _("{%(name)s!%(conversion)s}: unknown conversion.") % {"name": name, "conversion": conversion}
            )
        if "{" in (spec or ""):
            errors.append(_("{%(name)s:%(spec)s}: a format may not hold a placeholder.") % {"name": name, "spec": spec})
        elif any(int(number) > MAX_FORMAT_WIDTH for number in _NUMBER.findall(spec or "")):
            errors.append(
                _("{%(name)s:%(spec)s}: widths and precisions above %(max)s are not allowed.")
                % {"name": name, "spec": spec, "max": MAX_FORMAT_WIDTH}
            )
    if unknown:
        errors.insert(0, _("Unknown placeholders: %s") % ", ".join(sorted(unknown)))
    return errors


def template_errors(*, subject: str, body: str, channel: str) -> dict[str, list[str]]:
    """Why a template with this subject and body cannot be sent on `channel`, by field (empty: it can).

    Each text is rendered with SAMPLE_CONTEXT, so a template that passes renders for every case (a `{}`,
    `{amount:d}` or `{borrower_name!x}` passed the old check and then failed every retry of every
    reminder), and its length is checked against the channel's limit.
    """
    errors: dict[str, list[str]] = {}
    limits = {"subject": MAX_SUBJECT_LENGTH, "body": max_body_length(channel)}
    for field, text in (("subject", subject), ("body", body)):
        found = _placeholder_errors(text)
        if not found:
            try:
                rendered = text.format_map(SAMPLE_CONTEXT)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                found = [_("This text cannot be rendered: %(error)s.") % {"error": exc}]
            else:
                if len(rendered) > limits[field]:
                    found = [
                        _(
                            "Rendered for the longest names and references this is %(length)s characters; at most %(max)s fit."
                        )
                        % {"length": f"{len(rendered):,}", "max": f"{limits[field]:,}"}
                    ]
        if found:
            errors[field] = found
    return errors


class PortalLinkText:
    """`{portal_link}`: a new portal link for the case's borrower (portal.services), made the first time
    the template uses it, so a reminder without the placeholder creates none."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self._url: str | None = None

    def __str__(self) -> str:
        if self._url is None:
            _link, self._url = portal_link_create(case=self.case, source=LinkSource.REMINDER)
        return self._url

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:  # `{portal_link!r}` and `!a` render the URL, as they would a string
        return repr(str(self))


def reminder_context(
    *,
    case: Case,
    due_date: dt.date,
    channel: str,
    language: str,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """`amount`/`currency` given (a repayment plan's installment): they are what the reminder is about."""

    if amount is not None:
        pass
    elif case.dpd > 0:
        amount = case.overdue_amount
    else:
        # Pre-due: what falls due on that date, not the whole outstanding balance.
        totals = Installment.objects.filter(loan_id=case.loan_id, due_date=due_date).aggregate(
            due=Sum("principal_due") + Sum("interest_due") + Sum("fee_due"),
            paid=Sum("principal_paid") + Sum("interest_paid") + Sum("fee_paid") + Sum("waived"),
        )
        amount = max((totals["due"] or Decimal(0)) - (totals["paid"] or Decimal(0)), Decimal(0))
    return {
        "borrower_name": case.borrower.full_name,
        "amount": f"{amount:,.2f}",
        "currency": currency or case.loan.currency,
        "due_date": due_date.isoformat(),
        "dpd": max(case.dpd, 0),
        "loan_ref": case.loan.external_id,
        "platform_name": case.platform.name,
        "opt_out": OPT_OUT_TEXT.get((channel, language), ""),
        "portal_link": PortalLinkText(case),
    }


def render_template(template: MessageTemplate, context: dict[str, Any]) -> Rendered:
    """The template filled in for one case. Raises TemplateError, never anything else, for a template that
    cannot be rendered or renders beyond its channel's limit (`template_errors` refuses both on save)."""
    values = _Missing(context)
    try:
        subject = template.subject.format_map(values)
        body = template.body.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise TemplateError(f"template {template.code} [{template.language}] cannot be rendered: {exc}") from exc
    if len(subject) > MAX_SUBJECT_LENGTH or len(body) > max_body_length(template.channel):
        raise TemplateError(f"template {template.code} [{template.language}] renders beyond its channel's limit")
    return Rendered(subject=subject, body=body, language=template.language)


def screen_template(template: MessageTemplate) -> list[Any]:
    """The compliance content screener's findings on a template's text (empty: clean).

    Lazy: `compliance.screening` is written by the compliance engineer; until it exists templates are
    still screened by the gate at send time (`message=` is screened there), so nothing unscreened is sent.
    """
    text = f"{template.subject}\n{template.body}".strip()
    return list(screen_text(text, language=template.language))
