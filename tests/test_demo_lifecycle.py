"""The demo shows the rest of a debt's life (issue 18, done when): penalty interest accrued within its cap
on the Chinese lender's late loans, a paused loan whose DPD stands still, a written-off loan with a later
payment reported as a recovery, a case on the legal path (lawyer letter sent, in mediation), and the
champion/challenger arms compared with cured cases in their cure rates. A second run changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from cases.delinquency import refresh_delinquency
from cases.models import (
    Case,
    ChargeAccrual,
    ChargeRule,
    Installment,
    LawyerLetter,
    LegalProceeding,
    LegalStage,
    Loan,
    LoanPause,
    Payment,
)
from demo.experiments import EXPERIMENT_NAME
from demo.lifecycle import PAUSE_REASON, RULE_NOTE
from outreach.models import Experiment
from supervision.experiments import comparisons

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_shows_charges_a_pause_a_write_off_with_a_recovery_the_legal_path_and_cured_arms():
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    today = timezone.localdate()

    # Penalty interest on the Chinese lender's late loans only, by its own rule; the seeded rules stay off.
    rule = ChargeRule.objects.get(note=RULE_NOTE, active=True)
    assert rule.platform.name == "Alpha Lending"
    assert not ChargeRule.objects.filter(platform__isnull=True, active=True).exists()
    accruals = ChargeAccrual.objects.filter(installment__loan__platform=rule.platform)
    assert accruals.filter(kind="penalty").count() > 10
    assert not ChargeAccrual.objects.exclude(installment__loan__platform=rule.platform).exists()
    # Within the cap: no installment's penalty beyond 24% a year of what it owes over the days it is late.
    for inst in Installment.objects.filter(pk__in=accruals.values("installment_id")):
        days = (today - inst.due_date).days
        owed = inst.principal_due + inst.interest_due + inst.fee_due
        assert inst.penalty_due <= owed * Decimal("0.24") * days / 365 + Decimal("0.01")
    # The loans' balances include it.
    late = Loan.objects.filter(platform=rule.platform, installments__penalty_due__gt=0).distinct().first()
    charged = late.installments.aggregate(p=Sum("penalty_due"))["p"]
    assert charged > 0

    # A paused loan: its DPD stands still across tomorrow's refresh.
    pause = LoanPause.objects.select_related("loan").get(reason=PAUSE_REASON)
    assert pause.ends_on is None and pause.hold is not None
    dpd = Loan.objects.get(pk=pause.loan_id).dpd
    refresh_delinquency(today=today + dt.timedelta(days=1))
    assert Loan.objects.get(pk=pause.loan_id).dpd == dpd

    # A written-off loan, and a later payment reported as a recovery (flagged: the dashboard's recoveries after charge-off).
    written = Loan.objects.get(written_off_on__isnull=False)
    assert written.written_off_on == today - dt.timedelta(days=30) and written.written_off_amount > 0
    recovery = Payment.objects.get(loan=written, external_id__startswith="DEMO-RECOVERY-")
    assert not Payment.objects.filter(loan=written).exclude(pk=recovery.pk).exists()
    assert recovery.recovery and recovery.paid_at.date() > written.written_off_on

    # The legal path: the lawyer letter sent (through the gate, printed as a PDF), now in mediation.
    legal = Case.objects.get(legal_stage=LegalStage.MEDIATION)
    referral, mediation = legal.legal_proceedings.order_by("started_on")
    assert referral.kind == LegalProceeding.Kind.REFERRAL and referral.ended_on == mediation.started_on
    letter = referral.letters.get()
    assert letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT and letter.language == "zh-hans" and letter.pdf
    assert mediation.kind == LegalProceeding.Kind.MEDIATION and mediation.next_date > today and mediation.reference

    # The experiment's arms have cured cases in their cure rates.
    experiment = Experiment.objects.get(name=EXPERIMENT_NAME)
    supervisor = User.objects.get(username="supervisor")
    [compared] = [c for c in comparisons(user=supervisor) if c.experiment == experiment]
    for arm in compared.arms:
        assert arm.cure.n > 0 and arm.cure.successes > 0 and arm.cure.rate > 0

    counts = (
        ChargeRule.objects.count(),
        LoanPause.objects.count(),
        Payment.objects.filter(recovery=True).count(),
        LegalProceeding.objects.count(),
        LawyerLetter.objects.count(),
    )
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    assert (
        ChargeRule.objects.count(),
        LoanPause.objects.count(),
        Payment.objects.filter(recovery=True).count(),
        LegalProceeding.objects.count(),
        LawyerLetter.objects.count(),
    ) == counts
