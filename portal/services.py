"""Write paths of the borrower portal.

Links: created for one case's borrower, found again from the token in the URL, revoked. A link's token is
16 random bytes (128 bits, 22 URL-safe base64 characters) shown once, in the URL; only its SHA-256 is
stored, so a database dump gives nobody a way in, and a token changed by one character names no link.
128 bits cannot be guessed online (the links are also few, expiring and rate-limited behind a second
factor), and the short token keeps a reminder's link within an SMS part.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import SecondFactor
from borrowers.models import Borrower, Hold, HoldKind, OptOut, Vulnerability
from borrowers.services import borrower_update, hold_create, opt_out_create
from borrowers.zones import borrower_today
from cases.events import case_event_record
from cases.models import Case, CaseEvent
from compliance.preferences import inconvenient_times_set
from repayment_plans.models import Plan, PlanStatus, Promise
from repayment_plans.services import loan_balance, plan_propose, promise_create

from .models import AgreementAcceptance, LinkSource, PortalAction, PortalActionKind, PortalAttempt, PortalLink
from .offers import plan_offers
from .signals import borrower_needs_person

# Who acts through the portal, as the case's timeline records it.
ACTOR = "borrower_portal"
ACTOR_LABEL = "borrower (portal)"

TOKEN_BYTES = 16
# A token is what secrets.token_urlsafe(16) makes: 22 characters of [A-Za-z0-9_-]. Links made before the
# token was shortened (32 bytes, 43 characters) stay valid until they expire.
TOKEN_LENGTH = 22
TOKEN_LENGTHS = frozenset({TOKEN_LENGTH, 43})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('portal-entry', kwargs={'token': token})}"


@transaction.atomic
def portal_link_create(
    *, case: Case, source: str = LinkSource.API, now: dt.datetime | None = None
) -> tuple[PortalLink, str]:
    """A new link for the case's borrower; returns the link and its URL (the only time the token exists)."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PortalLink.objects.create(
        case=case,
        token_hash=token_hash(token),
        source=source,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.PORTAL_LINK_DAYS),
    )
    return link, link_url(token)


def portal_link_find(token: str, *, now: dt.datetime | None = None) -> PortalLink | None:
    """The usable link a token names (not expired, not revoked), or None."""
    if len(token) not in TOKEN_LENGTHS:
        return None
    now = now or timezone.now()
    return (
        PortalLink.objects.usable_at(now)
        .select_related("case__borrower", "case__loan", "case__platform")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def portal_link_revoke(*, link: PortalLink, now: dt.datetime | None = None) -> PortalLink:
    link = PortalLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is None:
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


# --- the second factor ------------------------------------------------------------------------------------


class Verification(enum.StrEnum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"
    # Too many wrong answers on this link or from this address lately: not even checked.
    LOCKED = "locked"
    # The borrower has no stored value for the platform's second factor: the portal cannot confirm them.
    UNAVAILABLE = "unavailable"


def second_factor_available(link: PortalLink) -> bool:
    borrower, factor = link.case.borrower, link.case.platform.portal_second_factor
    if factor == SecondFactor.NATIONAL_ID_LAST4:
        return bool(borrower.national_id_last4)
    return borrower.date_of_birth is not None


def _matches(link: PortalLink, answer: str | dt.date) -> bool:
    borrower, factor = link.case.borrower, link.case.platform.portal_second_factor
    if factor == SecondFactor.NATIONAL_ID_LAST4:
        stored = borrower.national_id_last4.upper()
        given = str(answer).strip().upper()
        return bool(stored) and hmac.compare_digest(stored.encode(), given.encode())
    return borrower.date_of_birth is not None and answer == borrower.date_of_birth


def failures_locked(*, link: PortalLink, ip: str | None, now: dt.datetime) -> bool:
    """Whether the second factor is refused now: too many wrong answers on the link, or from the address."""
    since = now - dt.timedelta(minutes=settings.PORTAL_FAILURE_WINDOW_MINUTES)
    failed = PortalAttempt.objects.filter(succeeded=False, at__gt=since)
    if failed.filter(link=link).count() >= settings.PORTAL_LINK_FAILURES:
        return True
    return bool(ip) and failed.filter(ip=ip).count() >= settings.PORTAL_IP_FAILURES


@transaction.atomic
def portal_verify(
    *, link: PortalLink, answer: str | dt.date, ip: str | None, now: dt.datetime | None = None
) -> Verification:
    """Check the borrower's answer to the platform's second factor and record the attempt. Counted in the
    database (no cache): a Redis outage neither fails the page nor lifts the limit."""
    now = now or timezone.now()
    # One attempt at a time per link: concurrent guesses cannot slip past the count.
    link = PortalLink.objects.select_for_update().select_related("case__borrower", "case__platform").get(pk=link.pk)
    if not second_factor_available(link):
        return Verification.UNAVAILABLE
    if failures_locked(link=link, ip=ip, now=now):
        return Verification.LOCKED
    ok = _matches(link, answer)
    PortalAttempt.objects.create(link=link, ip=ip, at=now, succeeded=ok)
    if not ok:
        return Verification.WRONG
    link.verified_at = now
    link.save(update_fields=["verified_at"])
    return Verification.CONFIRMED


# --- what the borrower does -------------------------------------------------------------------------------


def _record(link: PortalLink, kind: str, *, ip: str | None, now: dt.datetime, **data: Any) -> PortalAction:
    """The action with the actor "borrower (portal)": a portal action row and a note on the case's timeline."""
    action = PortalAction.objects.create(link=link, kind=kind, at=now, ip=ip, data=data)
    # The code and its parameters are what the timeline renders, in its reader's language
    # (portal.selectors.portal_note); the stored text is English whatever the borrower's page was in.
    with translation.override("en"):
        reason = f"{ACTOR_LABEL}: {PortalActionKind(kind).label}"
    case_event_record(
        case_id=link.case_id,
        kind=CaseEvent.Kind.NOTE,
        reason=reason,
        at=now,
        data={"actor": ACTOR, "portal_link": link.pk, "portal_action": kind, **data},
    )
    return action


def _ask_a_person(link: PortalLink, reason: str) -> None:
    borrower_needs_person.send(sender=PortalLink, case=link.case, reason=f"{ACTOR_LABEL}: {reason}"[:200])


def payment_url(link: PortalLink, *, amount: Decimal) -> str:
    """The platform's payment page for this amount and loan ("" when the platform has none)."""
    template = link.case.platform.payment_url_template
    if not template:
        return ""
    values = {
        "amount": quote(f"{amount:.2f}"),
        "currency": quote(link.case.loan.currency),
        "reference": quote(link.case.loan.external_id),
    }
    return template.format_map(values)


@transaction.atomic
def portal_pay(*, link: PortalLink, amount: Decimal, ip: str | None, now: dt.datetime | None = None) -> str:
    """Hand-off to the platform's payment page; the payment itself arrives later through POST /payments/."""
    now = now or timezone.now()
    balance = loan_balance(link.case.loan_id)
    if amount <= 0 or amount > balance:
        raise ValidationError({"amount": [_("Enter an amount between 0.01 and %(b)s.") % {"b": f"{balance:,.2f}"}]})
    url = payment_url(link, amount=amount)
    if not url:
        raise ValidationError({"amount": [_("Payments are not taken here; please pay in the lender's app.")]})
    _record(link, PortalActionKind.PAY, ip=ip, now=now, amount=str(amount))
    return url


def promise_latest_date(link: PortalLink, now: dt.datetime | None = None) -> dt.date:
    today = borrower_today(link.case.borrower, now or timezone.now())
    return today + dt.timedelta(days=link.case.platform.portal_promise_max_days)


@transaction.atomic
def portal_promise(
    *, link: PortalLink, amount: Decimal, due_date: dt.date, ip: str | None, now: dt.datetime | None = None
) -> Promise:
    """A promise to pay through repayment_plans' own service, within the platform's rules: due at the latest
    `portal_promise_max_days` ahead, for no more than the balance."""
    now = now or timezone.now()
    latest = promise_latest_date(link, now)
    balance = loan_balance(link.case.loan_id)
    errors: dict[str, list[str]] = {}
    if due_date > latest:
        errors["due_date"] = [_("Choose a date no later than %(date)s.") % {"date": latest.isoformat()}]
    if amount > balance:
        errors["amount"] = [_("The amount may not exceed what is owed (%(b)s).") % {"b": f"{balance:,.2f}"}]
    if errors:
        raise ValidationError(errors)
    promise = promise_create(case=link.case, amount=amount, due_date=due_date)
    _record(
        link, PortalActionKind.PROMISE, ip=ip, now=now, promise=promise.pk, amount=str(amount), due_date=str(due_date)
    )
    return promise


@transaction.atomic
def portal_opt_out(
    *, link: PortalLink, channel: str, to: str = "", ip: str | None, now: dt.datetime | None = None
) -> OptOut:
    """An opt-out through borrowers' own service: a whole channel, or one number or address of it."""
    now = now or timezone.now()
    opt_out = opt_out_create(borrower=link.case.borrower, channel=channel, to=to)
    _record(link, PortalActionKind.OPT_OUT, ip=ip, now=now, opt_out=opt_out.pk, channel=channel, to=opt_out.to)
    return opt_out


@transaction.atomic
def portal_contact_times(
    *, link: PortalLink, windows: list[dict[str, Any]], ip: str | None, now: dt.datetime | None = None
) -> Borrower:
    """The borrower names the times not to contact them (the gate honours them: borrower_preference)."""
    now = now or timezone.now()
    borrower = inconvenient_times_set(borrower=link.case.borrower, windows=windows, case=link.case, source="portal")
    _record(link, PortalActionKind.CONTACT_TIMES, ip=ip, now=now, windows=borrower.inconvenient_times)
    return borrower


@transaction.atomic
def portal_dispute(*, link: PortalLink, note: str, ip: str | None, now: dt.datetime | None = None) -> Hold:
    """The debt disputed: a dispute hold on the loan (the gate stops outreach on it) and a task for a person."""
    now = now or timezone.now()
    hold = hold_create(
        borrower=link.case.borrower,
        kind=HoldKind.DISPUTE,
        loan=link.case.loan,
        starts_at=now,
        note=f"{ACTOR_LABEL}: {note}".strip(),
    )
    _record(link, PortalActionKind.DISPUTE, ip=ip, now=now, hold=hold.pk)
    _ask_a_person(link, "dispute")
    return hold


@transaction.atomic
def portal_hardship(
    *, link: PortalLink, vulnerabilities: list[str], note: str, ip: str | None, now: dt.datetime | None = None
) -> Borrower:
    """Hardship or vulnerability told: added to the borrower's vulnerabilities (borrowers' own service; the
    specialist queue and the humane strategies follow them) and a task for a person."""
    now = now or timezone.now()
    borrower = link.case.borrower
    unknown = [v for v in vulnerabilities if v not in Vulnerability.values]
    if unknown or not vulnerabilities:
        raise ValidationError({"vulnerabilities": [_("Choose what applies to you.")]})
    merged = list(dict.fromkeys([*borrower.vulnerabilities, *vulnerabilities]))
    borrower = borrower_update(borrower=borrower, data={"vulnerabilities": merged})
    _record(link, PortalActionKind.HARDSHIP, ip=ip, now=now, vulnerabilities=vulnerabilities, note=note[:1000])
    _ask_a_person(link, "hardship: " + ", ".join(vulnerabilities))
    return borrower


@transaction.atomic
def portal_more_help(*, link: PortalLink, note: str, ip: str | None, now: dt.datetime | None = None) -> PortalAction:
    """None of the offered plans suits the borrower: a collector's task to agree another."""
    now = now or timezone.now()
    action = _record(link, PortalActionKind.MORE_HELP, ip=ip, now=now, note=note[:1000])
    _ask_a_person(link, "asks for another arrangement")
    return action


@transaction.atomic
def portal_plan_accept(*, link: PortalLink, offer_code: str, ip: str | None, now: dt.datetime | None = None) -> Plan:
    """The borrower chose an offer and accepted its agreement: the plan proposed through plan_propose (for
    the case's platform, within its limits: active at once, its agreement written), the acceptance recorded
    with the time, the link and the address."""
    now = now or timezone.now()
    case = link.case
    offer = next(
        (o for o in plan_offers(case=case, today=borrower_today(case.borrower, now)) if o.code == offer_code), None
    )
    if offer is None:
        raise ValidationError({"offer": [_("This offer is no longer available. Please choose again.")]})
    plan = plan_propose(case=case, platform=case.platform, **offer.proposal)
    if plan.status != PlanStatus.ACTIVE:  # the offers are within the limits; never leave a plan half-accepted
        raise ValidationError({"offer": [_("This offer is no longer available. Please choose again.")]})
    AgreementAcceptance.objects.create(
        plan=plan, link=link, accepted_at=now, ip=ip, language=plan.agreement_language or case.borrower.language
    )
    _record(link, PortalActionKind.PLAN, ip=ip, now=now, plan=plan.pk, offer=offer_code)
    return plan
