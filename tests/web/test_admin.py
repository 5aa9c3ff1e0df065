"""Django admin: every model of accounts, borrowers, cases and repayment plans, and the key rotation."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from accounts.models import Platform, hash_api_key
from borrowers.models import Borrower
from tests import factories

pytestmark = pytest.mark.django_db

# The models this admin module set covers (plans, compliance and contacts have their own admin owners).
MODELS = [
    ("accounts", "user"),
    ("accounts", "platform"),
    ("accounts", "team"),
    ("accounts", "agency"),
    ("accounts", "idempotencyrecord"),
    ("borrowers", "borrower"),
    ("borrowers", "phone"),
    ("borrowers", "email"),
    ("borrowers", "thirdparty"),
    ("borrowers", "hold"),
    ("borrowers", "optout"),
    ("cases", "loan"),
    ("cases", "installment"),
    ("cases", "payment"),
    ("cases", "case"),
    ("cases", "caseevent"),
    ("cases", "loanpause"),
    ("cases", "legalproceeding"),
    ("cases", "lawyerletter"),
    ("repayment_plans", "promise"),
]


@pytest.fixture
def filled(portfolio):
    """One of everything, so that changelists render rows and inlines, not just empty tables."""
    from cases.models import CaseEvent, LawyerLetter, LegalProceeding, LoanPause, Payment, PaymentAllocation
    from repayment_plans.models import Promise

    case = portfolio.mine
    installment = factories.InstallmentFactory(loan=case.loan, seq=1)
    payment = Payment.objects.create(
        platform=case.platform,
        loan=case.loan,
        external_id="P-1",
        amount="100.00",
        currency="CNY",
        paid_at=case.opened_at,
    )
    PaymentAllocation.objects.create(payment=payment, installment=installment, principal="100.00")
    CaseEvent.objects.create(case=case, kind="note", reason="called", at=case.opened_at)
    Promise.objects.create(case=case, amount="500.00", due_date=case.opened_at.date())
    factories.HoldFactory(borrower=case.borrower)
    factories.OptOutFactory(borrower=case.borrower)
    factories.EmailFactory(borrower=case.borrower)
    LoanPause.objects.create(loan=case.loan, starts_on=case.opened_at.date(), reason="flood")
    proceeding = LegalProceeding.objects.create(
        case=case, kind="referred", forum="Fair & Square LLP", started_on=case.opened_at.date()
    )
    LawyerLetter.objects.create(proceeding=proceeding, language="en", status="queued_for_print", body="Letter")
    return portfolio


def test_every_model_of_these_apps_is_in_the_admin():
    registered = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}

    assert set(MODELS) <= registered


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_changelists_answer_200_for_the_administrator(client, admin_user, filled, app, model):
    client.force_login(admin_user)

    response = client.get(reverse(f"admin:{app}_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(("app", "model"), [m for m in MODELS if m[1] not in {"idempotencyrecord", "caseevent"}])
def test_change_pages_answer_200(client, admin_user, filled, app, model):
    client.force_login(admin_user)
    instance = apps.get_model(app, model).objects.order_by("pk").first()

    response = client.get(reverse(f"admin:{app}_{model}_change", args=[instance.pk]))

    assert response.status_code == 200


def test_a_collector_cannot_open_the_admin(client, collector):
    client.force_login(collector)

    response = client.get("/admin/cases/case/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _key_in_messages(response) -> str:
    found = re.findall(r"<code>([0-9a-f]{40})</code>", response.content.decode())
    assert len(found) == 1
    return found[0]


def test_rotating_a_platform_key_shows_the_new_key_once(client, admin_user, platform):
    client.force_login(admin_user)
    old_hash = platform.api_key_hash

    response = client.post(
        reverse("admin:accounts_platform_changelist"),
        {"action": "rotate_api_keys", "_selected_action": [platform.pk]},
        follow=True,
    )

    key = _key_in_messages(response)
    platform.refresh_from_db()
    assert platform.api_key_hash == hash_api_key(key) != old_hash
    assert platform.api_key_prefix == key[:8]
    # Shown once: the next page has no key in it.
    assert key not in client.get(reverse("admin:accounts_platform_changelist")).content.decode()


def test_the_platform_list_shows_the_key_prefix_not_the_hash(client, admin_user, platform):
    client.force_login(admin_user)

    html = client.get(reverse("admin:accounts_platform_changelist")).content.decode()
    change = client.get(reverse("admin:accounts_platform_change", args=[platform.pk])).content.decode()

    assert platform.api_key_prefix in html
    assert platform.api_key_hash not in html and platform.api_key_hash not in change


def test_adding_a_platform_in_the_admin_issues_a_key(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:accounts_platform_add"),
        {
            "name": "Gamma Credit",
            "default_jurisdiction": "UK",
            "is_active": "on",
            "webhook_url": "",
            "webhook_secret": "",
            # The borrower portal's settings, as the form shows them by default.
            "portal_second_factor": "date_of_birth",
            "payment_url_template": "",
            "portal_promise_max_days": "14",
        },
        follow=True,
    )

    key = _key_in_messages(response)
    assert Platform.objects.get(name="Gamma Credit").api_key_hash == hash_api_key(key)


def test_a_national_id_typed_in_the_admin_is_stored_encrypted(client, admin_user, platform):
    client.force_login(admin_user)
    borrower = factories.BorrowerFactory(platform=platform, full_name="Ann Lee", region="US-NY", language="en")
    data = {
        "platform": platform.pk,
        "external_id": borrower.external_id,
        "full_name": "Ann Lee",
        "new_national_id": "900123456",
        "region": "US-NY",
        "timezone": "",
        "language": "en",
        "address": "",
        "vulnerabilities": "[]",
    }
    for prefix in ("phones", "emails", "third_parties", "holds", "opt_outs"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = client.post(reverse("admin:borrowers_borrower_change", args=[borrower.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    borrower = Borrower.objects.get(pk=borrower.pk)
    assert borrower.national_id_masked == "********3456"
    assert "900123456" not in borrower.national_id_encrypted
