"""Factories for the records supervision reads: decisions, contacts, payments, events, promises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from cases.models import CaseEvent, Payment
from compliance.models import Decision
from contacts.models import ContactAttempt
from repayment_plans.models import Promise
from tests.factories import BorrowerFactory, CaseFactory


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    borrower = factory.SubFactory(BorrowerFactory)
    platform = factory.SelfAttribute("borrower.platform")
    channel = "call"
    party = "borrower"
    to = "+8613900000001"
    actor_kind = "user"
    at = factory.LazyFunction(timezone.now)
    allowed = True
    results = factory.LazyFunction(list)
    reasons = factory.LazyFunction(list)
    facts = factory.LazyFunction(lambda: {"zones": ["Asia/Shanghai"], "counts": {"answered_today": 1}})
    rule_pack = "CN"
    pack_versions = factory.LazyFunction(lambda: {"CN": 1})


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactAttempt

    borrower = factory.SubFactory(BorrowerFactory)
    platform = factory.SelfAttribute("borrower.platform")
    channel = "call"
    direction = "outbound"
    party = "borrower"
    to = "+8613900000001"
    at = factory.LazyFunction(timezone.now)
    actor_kind = "user"


def record_outcome(contact: ContactAttempt, outcome: str, notes: str = "", duration_s: int | None = 60) -> None:
    """What contacts' record_outcome() does: the one save the append-only log allows."""
    contact.outcome = outcome
    contact.notes = notes
    contact.duration_s = duration_s
    contact.outcome_at = timezone.now()
    contact.save(_outcome_write=True)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    loan = factory.SubFactory("tests.factories.LoanFactory")
    platform = factory.SelfAttribute("loan.platform")
    external_id = factory.Sequence(lambda n: f"P-{n}")
    amount = Decimal("100.00")
    currency = "CNY"
    paid_at = factory.LazyFunction(timezone.now)


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = "note"
    at = factory.LazyFunction(timezone.now)


class PromiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promise

    case = factory.SubFactory(CaseFactory)
    amount = Decimal("500.00")
    due_date = factory.LazyFunction(lambda: timezone.now().date() + dt.timedelta(days=3))
