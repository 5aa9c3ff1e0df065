"""Seeded strategies and templates by name in the reader's language (issue 15, item 8): every seeded one has
a translated label; the case page in zh-hans names the strategy and the message templates in Chinese."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import Role
from outreach.default_strategies import (
    DEMO_STRATEGY_NAME,
    PLAN_STRATEGY_NAME,
    PLAN_TEMPLATES,
    SEGMENT_STRATEGIES,
    SEGMENT_TEMPLATES,
    TEMPLATES,
    seed_strategies,
)
from outreach.labels import STRATEGY_LABELS, TEMPLATE_LABELS, strategy_label, template_label
from outreach.models import MessageTemplate, Strategy
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_seeded_strategy_and_template_has_a_translated_label():
    names = {DEMO_STRATEGY_NAME, PLAN_STRATEGY_NAME, *(s.name for s in SEGMENT_STRATEGIES)}
    codes = {t["code"] for t in (*TEMPLATES, *SEGMENT_TEMPLATES, *PLAN_TEMPLATES)}
    assert set(STRATEGY_LABELS) == names
    assert set(TEMPLATE_LABELS) == codes
    with translation.override("zh-hans"):
        for name in names:
            assert strategy_label(name) != name, name
        for code in codes:
            assert template_label(code) != code, code
    assert strategy_label("Our own strategy") == "Our own strategy"  # an administrator's: as written


def test_the_zh_case_page_names_the_strategy_and_templates_in_chinese(client):
    seed_strategies(segments=True)
    collector = factories.UserFactory(role=Role.COLLECTOR, language="zh-hans")
    borrower = factories.BorrowerFactory(full_name="张伟", region="CN-31", timezone="Asia/Shanghai", language="zh-hans")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678", kind="mobile")
    case = factories.CaseFactory(loan=factories.LoanFactory(borrower=borrower), assigned_to=collector, dpd=10)
    client.force_login(collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    strategies = list(Strategy.objects.values_list("name", flat=True))
    assert not [name for name in strategies if name in html]
    assert any(template_label(t.code) in html for t in MessageTemplate.objects.filter(channel="sms"))
    with translation.override("zh-hans"):
        shown = [strategy_label(n) for n in strategies if strategy_label(n) in html]
    assert shown, "the case page names its strategy"
