"""The rest of a debt's life in the demo book (issue 18): penalty interest accruing within its cap, a paused
loan, a written-off loan with a recovery after it, and a case on the legal path (lawyer letter sent, then
pre-litigation mediation). Each goes through the product's own services (cases.charges through the
refresh, cases.pauses, cases.legal, outreach.lawyer_letters through the gate, cases.services for the
payment), so the demo shows what a user would have done, with its events, holds, webhooks and evidence.

Written once: a second run finds the demo's pause (its reason) and changes nothing. The cases are taken
from outside the collectors' own queues (the supervisor's unassigned pool, the agency's placements), so
the collectors' worklists stay as the rest of the demo describes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Platform, User
from cases.delinquency import refresh_delinquency
from cases.legal import legal_step_open, loan_write_off
from cases.models import (
    Case,
    CaseStatus,
    ChargeJurisdiction,
    ChargeRule,
    LegalProceeding,
    Loan,
    LoanPause,
    Stage,
)
from cases.pauses import loan_pause_create
from cases.services import payment_record
from outreach.lawyer_letters import lawyer_letter_send

PAUSE_REASON = "Demo: complaint under review with the platform"
WRITE_OFF_REASON = "Demo: no contact and no payment for over 90 days; charged off"
RULE_NOTE = "Demo: Alpha Lending's loan contract provides for 罚息 (penalty interest) after 3 days' grace"
LAW_FIRM = "上海明理律师事务所"
MEDIATOR = "上海市黄浦区金融纠纷人民调解委员会"
CN_PLATFORM = "Alpha Lending"


def _demo_charge_rule(platform: Platform) -> ChargeRule:
    """The CN penalty interest of docs/fees.md, switched on for the demo's Chinese lender (its contract
    provides for it); the seeded rules stay off for every other platform."""
    seeded = ChargeRule.objects.filter(jurisdiction=ChargeJurisdiction.CN, platform__isnull=True).order_by("pk").first()
    rule, _created = ChargeRule.objects.get_or_create(
        platform=platform,
        jurisdiction=ChargeJurisdiction.CN,
        product="",
        valid_from=dt.date(2020, 1, 1),
        defaults={
            "active": True,
            "grace_days": seeded.grace_days if seeded else 3,
            "penalty_rate": seeded.penalty_rate if seeded else Decimal("0.05"),
            "penalty_rate_basis": seeded.penalty_rate_basis if seeded else "daily",
            "note": RULE_NOTE,
        },
    )
    return rule


def _pick(cases, *, exclude: set[int]) -> Case | None:
    """The last matching case by id (the collectors' e2e walks start from the first), not already used."""
    return cases.exclude(pk__in=exclude).select_related("loan", "borrower", "platform").order_by("-pk").first()


def seed_lifecycle(
    *, users: dict[str, User], today: dt.date | None = None, log: Callable[[str], None] = lambda _msg: None
) -> bool:
    """Returns False when the demo's lifecycle is already there."""
    if LoanPause.objects.filter(reason=PAUSE_REASON).exists():
        return False
    today = today or timezone.localdate()
    now = timezone.now()
    supervisor = users["supervisor"]
    platform = Platform.objects.filter(name=CN_PLATFORM).first()
    if platform is None:
        return False
    open_cases = Case.objects.filter(status=CaseStatus.OPEN, platform=platform, legal_stage="")
    used: set[int] = set()

    # Penalty interest on the Chinese lender's late loans, brought up to today by the refresh (within the
    # 24% annual cost ceiling: an accrual the cap cut is marked capped).
    _demo_charge_rule(platform)
    # Its loans only (not a run over the whole book: the seed's book refresh stays the one recorded run).
    late = list(
        Loan.objects.filter(platform=platform, installments__due_date__lt=today).distinct().values_list("pk", flat=True)
    )
    refresh_delinquency(loan_ids=late, today=today)

    with transaction.atomic():
        # A paused loan: from the supervisor's pool, its DPD standing still since the pause began.
        paused = _pick(open_cases.filter(stage=Stage.M1, assigned_to__isnull=True, agency__isnull=True), exclude=used)
        if paused is not None:
            used.add(paused.pk)
            loan_pause_create(
                loan=paused.loan, starts_on=today - dt.timedelta(days=6), reason=PAUSE_REASON, user=supervisor
            )

        # A written-off loan and a recovery after it: one of the agency's placements, charged off a month
        # ago; the borrower paid a little last week.
        # A loan without earlier payments, so that its only payment is the recovery the dashboard shows.
        written = _pick(
            open_cases.filter(stage=Stage.M3_PLUS, agency__isnull=False).exclude(loan__payments__isnull=False),
            exclude=used,
        )
        if written is not None:
            used.add(written.pk)
            loan_write_off(case=written, user=supervisor, reason=WRITE_OFF_REASON, on=today - dt.timedelta(days=30))
            payment_record(
                platform=platform,
                loan=written.loan,
                external_id=f"DEMO-RECOVERY-{written.loan.external_id}",
                amount=min(Decimal("300.00"), written.loan.outstanding),
                paid_at=now - dt.timedelta(days=5),
            )

        # The legal path: a lawyer letter three weeks ago (through the gate, printed as a PDF), then
        # pre-litigation mediation, its next session in ten days.
        legal = _pick(
            open_cases.filter(stage__in=[Stage.M3, Stage.M3_PLUS], agency__isnull=True).exclude(borrower__address=""),
            exclude=used,
        )
        if legal is not None:
            used.add(legal.pk)
            referral = legal_step_open(
                case=legal,
                kind=LegalProceeding.Kind.REFERRAL,
                forum=LAW_FIRM,
                started_on=today - dt.timedelta(days=21),
                user=supervisor,
            )
            lawyer_letter_send(proceeding=referral, user=supervisor)
            legal_step_open(
                case=legal,
                kind=LegalProceeding.Kind.MEDIATION,
                forum=MEDIATOR,
                reference=f"（{today.year}）沪黄调字第{legal.pk:04d}号",
                started_on=today - dt.timedelta(days=7),
                next_date=today + dt.timedelta(days=10),
                user=supervisor,
            )
    log(
        "Lifecycle: penalty interest on "
        f"{CN_PLATFORM}'s late loans; paused case {paused.pk if paused else '-'}, written-off case "
        f"{written.pk if written else '-'} with a recovery, legal-path case {legal.pk if legal else '-'}"
    )
    return True
