"""A small book for the role-matrix tests: for each kind of user a case they may see, with an active plan,
a pending one, a contact awaiting its outcome, a blocked decision, a hold and a QA sample, so that every
path parameter of every URL can be filled with a row the user may see; and a second team with its own
scorecards, and a second platform, for the row rules. The clock is fixed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile

from accounts.models import Role, User
from borrowers.models import Hold
from cases.models import Case, LawyerLetter, LegalProceeding, LoanPause
from compliance.models import Decision
from contacts.models import ContactAttempt
from outreach.models import Alert, Experiment, Strategy, StrategyArm, Task
from portal.services import portal_link_create
from repayment_plans.models import Plan, PlanStatus
from repayment_plans.services import plan_propose
from supervision.models import QualitySample
from tests import factories
from tests.supervision.factories import ContactFactory, DecisionFactory
from webhooks.models import WebhookEvent

# 11:00 in Shanghai, where the factories' borrowers live; the same day there as in UTC.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Agreement PDFs land in a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def compliance_officer(db) -> User:
    # Staff, so that the API by session is exercised for a read-only role too.
    return factories.UserFactory(username="compliance", role=Role.COMPLIANCE, is_staff=True)


def make_case(platform, **case_fields) -> Case:
    """An open case on a loan of three installments (two overdue), borrower in Shanghai with a phone."""
    borrower = factories.BorrowerFactory(platform=platform)
    factories.PhoneFactory(borrower=borrower)
    loan = factories.LoanFactory(borrower=borrower, platform=platform)
    for seq, days in enumerate((-40, -10, 20), start=1):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=TODAY + dt.timedelta(days=days))
    return factories.CaseFactory(loan=loan, overdue_amount=Decimal("2120.00"), **case_fields)


def active_plan(case: Case, user: User) -> Plan:
    plan = plan_propose(
        case=case, kind="installment", user=user, first_due_date=TODAY + dt.timedelta(days=7), installment_count=3
    )
    assert plan.status == PlanStatus.ACTIVE
    return plan


def pending_plan(case: Case, user: User) -> Plan:
    plan = plan_propose(
        case=case,
        kind="installment",
        user=user,
        first_due_date=TODAY + dt.timedelta(days=7),
        installment_count=12,
        reason="Long term needed",
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    return plan


@dataclass
class Rows:
    """One user's rows: everything a URL's path may name, all visible to that user."""

    case: Case
    pending_case: Case
    active_plan: Plan
    pending_plan: Plan
    contact: ContactAttempt
    decision: Decision
    hold: Hold
    sample: QualitySample
    event: WebhookEvent
    task: Task
    alert: Alert
    _letter_id: int | None = None  # the lawyer letter legal_rows made (with its PDF)

    @staticmethod
    def challenger_arm() -> int:
        """A challenger to promote (one experiment for the whole book, made on first use). Its strategy is
        inactive: it governs no case of the book."""
        strategy, _ = Strategy.objects.get_or_create(name="Role matrix strategy", defaults={"active": False})
        experiment, created = Experiment.objects.get_or_create(strategy=strategy, name="Role matrix experiment")
        if created:
            StrategyArm.objects.create(experiment=experiment, name="Champion", share=50, champion=True)
            StrategyArm.objects.create(experiment=experiment, name="Challenger", share=50)
        return experiment.arms.get(champion=False).pk

    def legal_rows(self) -> tuple[int, int, int]:
        """A delinquency pause, a legal referral and its lawyer letter on this user's case (made on first use):
        the ids the pause, legal path and letter URLs name."""
        loan = self.case.loan
        pause = LoanPause.objects.filter(loan=loan).first() or LoanPause.objects.create(
            loan=loan, starts_on=TODAY, reason="role matrix"
        )
        proceeding = LegalProceeding.objects.filter(case=self.case).first() or LegalProceeding.objects.create(
            case=self.case, kind="referred", forum="Role matrix LLP", started_on=TODAY
        )
        letter = LawyerLetter.objects.filter(proceeding=proceeding, pk=self._letter_id).first()
        if letter is None:
            letter = LawyerLetter.objects.create(
                proceeding=proceeding, language="en", status="queued_for_print", body="Letter"
            )
            letter.pdf.save("role-matrix.pdf", ContentFile(b"%PDF-1.4 role matrix"))  # the PDF URL serves it
            self._letter_id = letter.pk
        return pause.pk, proceeding.pk, letter.pk

    def kwargs(self, name: str) -> dict:
        """The path parameters of the URL named `name` (a KeyError for a URL this table does not know)."""
        if name.startswith("portal-"):
            return {"token": portal_link_create(case=self.case)[1].rstrip("/").rsplit("/", 1)[-1]}
        c, plan, pending = self.case, self.active_plan, self.pending_plan
        borrower, loan = c.borrower.external_id, c.loan.external_id
        return {
            "healthz": {},
            "readyz": {},
            "metrics": {},
            "favicon": {},
            "login": {},
            "logout": {},
            "set-language": {},
            "set_language": {},
            "case-list": {},
            "home": {},
            "queue": {},
            "queue-next": {},
            "tasks": {},
            "task-done": {"pk": self.task.pk},
            "task-cancel": {"pk": self.task.pk},
            "task-reassign": {"pk": self.task.pk},
            "alerts": {},
            "alert-acknowledge": {"pk": self.alert.pk},
            "case-search": {},
            "personal-settings": {},
            "case-detail": {"pk": c.pk},
            "case-pause": {"pk": c.pk},
            "case-pause-end": {"pk": c.pk, "pause_pk": self.legal_rows()[0]},
            "case-write-off": {"pk": c.pk},
            "case-legal-step": {"pk": c.pk},
            "case-legal-outcome": {"pk": c.pk, "proceeding_pk": self.legal_rows()[1]},
            "case-lawyer-letter": {"pk": c.pk, "proceeding_pk": self.legal_rows()[1]},
            "case-lawyer-letter-page": {"pk": c.pk, "letter_pk": self.legal_rows()[2]},
            "case-lawyer-letter-pdf": {"pk": c.pk, "letter_pk": self.legal_rows()[2]},
            "case-call-start": {"pk": c.pk},
            "case-inbound-call": {"pk": c.pk},
            "case-note": {"pk": c.pk},
            "case-contact-times": {"pk": c.pk},
            "case-validation-verify": {"pk": c.pk},
            "case-contact-outcome": {"pk": c.pk, "contact_pk": self.contact.pk},
            "case-message-send": {"pk": c.pk, "channel": "sms"},
            "case-message-preview": {"pk": c.pk, "channel": "sms"},
            "case-letter": {"pk": c.pk},
            "case-visit": {"pk": c.pk},
            "case-promise": {"pk": c.pk},
            "case-hold": {"pk": c.pk},
            "case-opt-out": {"pk": c.pk},
            "case-override": {"pk": c.pk},
            "plan-new": {"case_pk": c.pk},
            "plan-approvals": {},
            "plan-detail": {"pk": plan.pk},
            "plan-approve": {"pk": pending.pk},
            "plan-reject": {"pk": pending.pk},
            "plan-cancel": {"pk": plan.pk},
            "plan-agreement": {"pk": plan.pk},
            "plan-agreement-pdf": {"pk": plan.pk},
            "plan-agreement-send": {"pk": plan.pk},
            "webhook-event-list": {},
            "webhook-event-replay": {"event_id": self.event.event_id},
            "supervision:dashboard": {},
            "supervision:kpi-cases": {"kpi": "rpc"},
            "supervision:audit": {},
            "supervision:audit-contact": {"pk": self.contact.pk},
            "supervision:audit-decision": {"pk": self.decision.pk},
            "supervision:evidence": {},
            "supervision:quality": {},
            "supervision:quality-review": {"pk": self.sample.pk},
            "supervision:agencies": {},
            "supervision:approvals": {},
            "supervision:approvals-decide": {"pk": pending.pk},
            "supervision:assignment": {},
            "supervision:experiment-promote": {"pk": self.challenger_arm()},
            "supervision:experiments": {},
            "supervision:experiment-stop": {"pk": StrategyArm.objects.get(pk=self.challenger_arm()).experiment_id},
            "operations:page": {},
            "operations:reminders-requeue": {},
            "operations:webhooks-retry": {},
            "api-ping": {},
            "api-borrower-list": {},
            "api-borrower-bulk": {},
            "api-borrower-detail": {"external_id": borrower},
            "api-borrower-holds": {"external_id": borrower},
            "api-borrower-opt-outs": {"external_id": borrower},
            "api-hold-detail": {"pk": self.hold.pk},
            "api-loan-list": {},
            "api-loan-bulk": {},
            "api-loan-detail": {"external_id": loan},
            "api-loan-pauses": {"external_id": loan},
            "api-pause-detail": {"pk": self.legal_rows()[0]},
            "api-loan-write-off": {"external_id": loan},
            "api-case-legal-proceedings": {"pk": c.pk},
            "api-legal-proceeding-detail": {"pk": self.legal_rows()[1]},
            "api-payment-create": {},
            "api-payment-bulk": {},
            "api-case-list": {},
            "api-case-detail": {"pk": c.pk},
            "api-compliance-check": {},
            "api-compliance-decision": {"pk": self.decision.pk},
            "api-contacts": {},
            "api-contact-outcome": {"pk": self.contact.pk},
            "api-case-promises": {"pk": c.pk},
            "api-case-plans": {"pk": c.pk},
            "api-plan-detail": {"pk": plan.pk},
            "api-plan-approve": {"pk": pending.pk},
            "api-plan-reject": {"pk": pending.pk},
            "api-plan-cancel": {"pk": plan.pk},
            "api-case-portal-links": {"pk": c.pk},
            "api-webhook-event-list": {},
            "api-webhook-event-detail": {"event_id": self.event.event_id},
            "api-webhook-event-replay": {"event_id": self.event.event_id},
            "api-provider-receipts": {"provider": "generic"},
            "api-contact-detail": {"pk": self.contact.pk},
            "api-provider-replies": {"provider": "generic"},
            "schema": {},
            "api-docs": {},
        }[name]


@dataclass
class Book:
    users: dict[str, User | None]  # role name → user (None: not signed in)
    in_house: Rows  # the team's rows (collector, supervisor, compliance, administrator)
    placed: Rows  # the agency's rows (agency collector)
    other_team_sample: QualitySample  # a scorecard of a call by a collector of another team
    other_platform_case: Case

    def rows_for(self, role: str) -> Rows:
        return self.placed if role == "agency_collector" else self.in_house


def _rows(platform, *, worker: User, assign: dict, supervisor: User) -> Rows:
    case = make_case(platform, **assign)
    pending_case = make_case(platform, **assign)
    contact = ContactFactory(borrower=case.borrower, case=case, loan=case.loan, actor_user=worker, to="+8613900000001")
    decision = DecisionFactory(
        borrower=case.borrower,
        case=case,
        loan=case.loan,
        actor_user=worker,
        allowed=False,
        reasons=[{"code": "quiet_hours", "rule": "quiet_hours", "message_en": "Quiet hours"}],
    )
    return Rows(
        case=case,
        pending_case=pending_case,
        active_plan=active_plan(case, worker),
        pending_plan=pending_plan(pending_case, worker),
        contact=contact,
        decision=decision,
        hold=factories.HoldFactory(borrower=case.borrower, kind="dispute"),
        sample=QualitySample.objects.create(contact=contact, reason="collector_share", created_by=supervisor),
        event=WebhookEvent.objects.create(platform=platform, type="case.stage_changed", payload={"case": case.pk}),
        task=Task.objects.create(case=case, assigned_to=worker, kind="call", due_at=NOW, reason="3 unanswered"),
        alert=Alert.objects.create(
            kind="lost_contact", borrower=case.borrower, case=case, supervisor=supervisor, message="unreachable"
        ),
    )


@pytest.fixture
def book(
    platform, other_platform, collector, agency_collector, agency, supervisor, compliance_officer, admin_user
) -> Book:
    west = factories.UserFactory(username="west1", role=Role.COLLECTOR, team=factories.TeamFactory(name="West"))
    west_case = make_case(platform, assigned_to=west)
    west_call = ContactFactory(borrower=west_case.borrower, case=west_case, loan=west_case.loan, actor_user=west)
    return Book(
        users={
            "anonymous": None,
            "collector": collector,
            "agency_collector": agency_collector,
            "supervisor": supervisor,
            "compliance": compliance_officer,
            "admin": admin_user,
        },
        in_house=_rows(platform, worker=collector, assign={"assigned_to": collector}, supervisor=supervisor),
        placed=_rows(
            platform,
            worker=agency_collector,
            # Placed by the supervisor's team, which keeps sight of it (accounts.roles.case_filter).
            assign={"assigned_to": agency_collector, "agency": agency, "placing_team": supervisor.team},
            supervisor=supervisor,
        ),
        other_team_sample=QualitySample.objects.create(contact=west_call, reason="collector_share"),
        # Users are scoped by role and team, not by platform: this case is another team's, on another platform.
        other_platform_case=make_case(other_platform, assigned_to=west),
    )
