"""factory_boy factories shared by every suite."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Agency, Platform, Role, Team, User
from borrowers.models import Borrower, Email, Hold, OptOut, Phone, ThirdParty
from cases.models import Case, Installment, Loan


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Platform {n}")
    default_jurisdiction = "CN"

    @factory.post_generation
    def api_key(self, create, extracted, **kwargs):
        self.plain_api_key = self.rotate_api_key()
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.COLLECTOR
    is_staff = False
    password = factory.PostGenerationMethodCall("set_password", "pass12345!")

    @factory.post_generation
    def _save(self, create, extracted, **kwargs):
        if create:
            self.save()


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    platform = factory.SubFactory(PlatformFactory)
    external_id = factory.Sequence(lambda n: f"B-{n}")
    full_name = factory.Faker("name")
    region = "CN-31"
    language = "zh-hans"


class PhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phone

    borrower = factory.SubFactory(BorrowerFactory)
    number = factory.Sequence(lambda n: f"+86139{n:08d}")
    kind = "mobile"


class EmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Email

    borrower = factory.SubFactory(BorrowerFactory)
    address = factory.Sequence(lambda n: f"borrower{n}@example.com")


class ThirdPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThirdParty

    borrower = factory.SubFactory(BorrowerFactory)
    name = factory.Faker("name")
    relationship = "relative"
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


class HoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hold

    borrower = factory.SubFactory(BorrowerFactory)
    kind = "dispute"
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))


class OptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptOut

    borrower = factory.SubFactory(BorrowerFactory)
    channel = "sms"


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    borrower = factory.SubFactory(BorrowerFactory)
    platform = factory.SelfAttribute("borrower.platform")
    external_id = factory.Sequence(lambda n: f"L-{n}")
    currency = "CNY"
    principal = Decimal("3000.00")
    disbursed_on = factory.LazyFunction(lambda: timezone.now().date() - dt.timedelta(days=120))


class InstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installment

    loan = factory.SubFactory(LoanFactory)
    seq = factory.Sequence(lambda n: n + 1)
    due_date = factory.LazyFunction(lambda: timezone.now().date() - dt.timedelta(days=10))
    principal_due = Decimal("1000.00")
    interest_due = Decimal("50.00")
    fee_due = Decimal("10.00")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    loan = factory.SubFactory(LoanFactory)
    platform = factory.SelfAttribute("loan.platform")
    borrower = factory.SelfAttribute("loan.borrower")
    stage = "m1"
    dpd = 10
    overdue_amount = Decimal("1060.00")
