"""Money and regions as a reader of each language expects them (issue 15, item 8): amounts grouped in
thousands in both languages (29,400.00, not 29400.00 in zh-hans), and a region by its name (北京 / Beijing),
never its code, on the case page, the case list, the queue and the admin's borrower list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.models import Role
from borrowers.regions import LEGACY_REGIONS, PACK_REGION_NAMES, region_choices, region_label
from compliance import packs
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_is_grouped_in_thousands_in_both_languages(language):
    # The one way templates print money: floatformat:"2g", grouped with the active language's separator.
    with translation.override(language):
        text = Template('{{ a|floatformat:"2g" }}|{{ b|floatformat:"2g" }}').render(
            Context({"a": Decimal("29400.00"), "b": Decimal("1234567.5")})
        )
    assert text == "29,400.00|1,234,567.50"


def _zh_collector_and_case(region: str, overdue: Decimal):
    collector = factories.UserFactory(role=Role.COLLECTOR, language="zh-hans")
    borrower = factories.BorrowerFactory(full_name="张伟", region=region, timezone="Asia/Shanghai")
    loan = factories.LoanFactory(borrower=borrower)
    case = factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=overdue)
    return collector, case


def test_the_zh_case_page_shows_grouped_amounts_and_the_region_by_name(client):
    collector, case = _zh_collector_and_case("CN-11", Decimal("29400.00"))
    client.force_login(collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert '<html lang="zh-hans">' in html
    assert "29,400.00" in html
    assert "29400.00" not in html
    assert ">北京<" in html
    assert ">CN-11<" not in html


def test_the_case_list_and_the_queue_name_the_region(client):
    collector, case = _zh_collector_and_case("CN-31", Decimal("100.00"))
    client.force_login(collector)

    listing = client.get("/cases/").content.decode()
    queue = client.get("/queue/").content.decode()

    assert ">上海<" in listing and ">CN-31<" not in listing
    assert "张伟 · 上海" in queue


def test_every_region_of_the_packs_has_a_translated_name():
    # Every code of the packs' countries (CN-*, US-*, GB-*, ISO's and the legacy ones) has a name of its own.
    assert set(PACK_REGION_NAMES) >= LEGACY_REGIONS | packs.STATE_OVERLAYS
    for code in LEGACY_REGIONS:
        with translation.override("en"):
            english = region_label(code)
        with translation.override("zh-hans"):
            chinese = region_label(code)
        assert english != code and chinese != code, code
        assert chinese != english, code  # translated in the catalogue
    with translation.override("zh-hans"):
        assert region_label("CN-11") == region_label("CN-BJ") == "北京"
        assert region_label("US-NY") == "纽约州"
        assert region_label("GB-SCT") == "苏格兰"
        assert region_label("XX-9") == "XX-9"  # unknown: the code as it is
    with translation.override("en"):
        assert region_label("CN-11") == "Beijing"
        assert region_label("FR-974") == "La Réunion"  # any other country: ISO's name
        assert region_choices(["US-NY", "CN-31", "CN-31", ""]) == [("US-NY", "New York"), ("CN-31", "Shanghai")]


def test_the_admin_lists_and_filters_borrowers_by_region_name(client):
    admin = factories.UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, language="zh-hans")
    factories.BorrowerFactory(full_name="张伟", region="CN-44")
    client.force_login(admin)

    html = client.get("/admin/borrowers/borrower/").content.decode()
    filtered = client.get("/admin/borrowers/borrower/?region=CN-44")

    assert "广东" in html
    assert ">CN-44<" not in html
    assert filtered.status_code == 200
    assert "张伟" in filtered.content.decode()


def test_the_zh_case_page_names_payment_methods_and_the_schedulers_reasons(client):
    from django.utils import timezone  # noqa: PLC0415 - only here

    from cases.events import case_event_record  # noqa: PLC0415
    from cases.models import CaseEvent, Payment  # noqa: PLC0415

    collector, case = _zh_collector_and_case("CN-31", Decimal("100.00"))
    loan = case.loan
    Payment.objects.create(
        platform=loan.platform, loan=loan, external_id="P-1", amount=Decimal("50.00"), currency="CNY",
        paid_at=timezone.now(), method="wechat_pay",
    )  # fmt: skip
    Payment.objects.create(
        platform=loan.platform, loan=loan, external_id="P-2", amount=Decimal("60.00"), currency="CNY",
        paid_at=timezone.now(), method="our_own_code",
    )  # fmt: skip
    case_event_record(case_id=case.pk, kind=CaseEvent.Kind.ASSIGNED, new=collector.username, reason="workload")
    client.force_login(collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert ">微信支付<" in html and ">wechat_pay<" not in html
    assert ">our_own_code<" in html  # a platform's own code: as sent
    assert "按工作量分配" in html and "workload" not in html
