"""`manage.py seed_demo`: a believable portfolio, every role can sign in, and running it twice adds nothing."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

import phonenumbers
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Role, User
from borrowers.models import Borrower, Hold, Phone
from cases.models import ZERO, Case, CaseStatus, Installment, Payment, PaymentAllocation, Stage
from demo.portfolio import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

DEMO_APPS = ("accounts", "borrowers", "cases")


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count() for app in DEMO_APPS for model in apps.get_app_config(app).get_models()
    }


def test_it_is_idempotent():
    _seed()
    first = _counts()
    fingerprint = list(Case.objects.order_by("id").values_list("id", "stage", "dpd", "overdue_amount", "assigned_to"))

    output = _seed()

    assert _counts() == first
    assert (
        list(Case.objects.order_by("id").values_list("id", "stage", "dpd", "overdue_amount", "assigned_to"))
        == fingerprint
    )
    assert "nothing to add" in output


def test_every_role_can_sign_in_with_the_demo_password(client):
    output = _seed()

    expected = {
        "collector": Role.COLLECTOR,
        "collector2": Role.COLLECTOR,
        "supervisor": Role.SUPERVISOR,
        "compliance": Role.COMPLIANCE,
        "agent": Role.AGENCY_COLLECTOR,
        "admin": Role.ADMIN,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert username in output  # the printed table of sign-ins
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()
    assert User.objects.get(username="collector").language == "zh-hans"
    assert User.objects.get(username="collector2").language == "en"
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="agent").agency is not None
    # Each working role has something to do.
    for username in ("collector", "collector2", "supervisor", "agent"):
        assert Case.objects.visible_to(User.objects.get(username=username)).open().exists(), username


def test_the_portfolio_is_believable():
    _seed()

    assert Borrower.objects.count() == 300
    assert set(Borrower.objects.values_list("platform__name", flat=True)) == {"Alpha Lending", "Beta Wallet"}
    regions = set(Borrower.objects.values_list("region", flat=True))
    assert {"CN-31", "CN-11", "CN-44", "US-NY", "US-CA", "GB-ENG", "GB-SCT"} <= regions
    # Open cases in every stage, and some closed ones.
    open_stages = set(Case.objects.open().values_list("stage", flat=True))
    assert open_stages == set(Stage.values)
    assert Case.objects.filter(status=CaseStatus.CLOSED).exists()
    assert Case.objects.open().exclude(agency=None).exists()
    assert Case.objects.open().filter(assigned_to=None, agency=None).exists()  # the supervisor's pool
    # Every phone is a valid number of the borrower's country.
    for number, region in Phone.objects.values_list("number", "borrower__region"):
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.region_code_for_number(parsed) == {"CN": "CN", "US": "US", "GB": "GB"}[region[:2]]
    # National ids only encrypted, with the last four kept for the masked display.
    assert not Borrower.objects.filter(national_id_encrypted="").exists()
    assert set(Hold.objects.values_list("kind", flat=True)) >= {"dispute", "cease", "breathing_space"}
    assert any("elderly" in b.effective_vulnerabilities() for b in Borrower.objects.exclude(date_of_birth=None))
    assert Borrower.objects.exclude(vulnerabilities=[]).exists()


def test_payments_match_what_the_installments_say_was_paid():
    _seed()

    assert Payment.objects.exists()
    for payment in Payment.objects.annotate(n=Count("allocations")):
        assert payment.n >= 1
    allocated: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for allocation in PaymentAllocation.objects.all():
        parts = allocated[allocation.installment_id]
        parts[0] += allocation.fee
        parts[1] += allocation.interest
        parts[2] += allocation.principal
    for inst in Installment.objects.all():
        assert [inst.fee_paid, inst.interest_paid, inst.principal_paid] == allocated[inst.pk]
    # Summed in Python: SQLite adds decimals as floats.
    paid = sum(Payment.objects.values_list("amount", flat=True))
    applied = sum(a.total for a in PaymentAllocation.objects.all())
    assert paid == applied


@pytest.mark.django_db
def test_seed_demo_sets_up_operations_through_the_gate():
    """Strategies, capacity, the agency contract, gate-checked history and today's reminder jobs."""
    from compliance.models import Decision
    from contacts.models import ContactAttempt
    from outreach.models import CollectorProfile, ReminderJob, Strategy
    from supervision.models import AgencyContract

    call_command("seed_demo", stdout=io.StringIO())
    assert Strategy.objects.filter(active=True).exists()
    assert CollectorProfile.objects.filter(user__username__in=["collector", "collector2"]).count() == 2
    assert AgencyContract.objects.exists()
    contacts = ContactAttempt.objects.all()
    assert contacts.exists()
    # Every recorded contact carries the allowed decision that let it happen.
    assert not contacts.filter(decision__isnull=True).exists()
    assert Decision.objects.filter(allowed=True).count() >= contacts.count()
    assert ReminderJob.objects.exists()


def test_the_seed_is_a_recorded_refresh_so_operations_sees_the_book_fresh():
    from cases.models import RefreshRun

    _seed()
    run = RefreshRun.objects.get()
    assert run.succeeded and run.cases_opened > 0
