"""`manage.py demo_portal_links`: the portal link a reminder carried, the case and the second factor to give,
and no personal data printed; `--case` makes a new link as the API does. The demo platforms ask for a
second factor and hand off to a payment page."""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import Platform, SecondFactor
from outreach.default_strategies import seed_strategies
from outreach.models import JobStatus
from outreach.services import reminder_send
from portal.models import LinkSource, PortalLink
from portal.services import portal_link_find
from tests.outreach.conftest import NOW, due_job, make_case, shanghai, step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_GATEWAY = "file"
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8152"
    with time_machine.travel(NOW, tick=True):
        yield


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_portal_links", "--url", "http://127.0.0.1:8152", *args, stdout=out)
    return out.getvalue()


def test_it_lists_the_link_a_reminder_carried_and_prints_no_personal_data():
    strategy = seed_strategies()
    case = make_case(due_in_days=0)
    borrower = case.borrower
    borrower.date_of_birth = NOW.date().replace(year=1980)
    borrower.save()
    job = due_job(case, step(strategy, -3), status=JobStatus.CLAIMED, claimed_at=shanghai(10))
    assert reminder_send(job_id=job.pk, now=shanghai(10)).status == "sent"

    printed = _run()

    url = re.search(r"borrower's link: (\S+)", printed).group(1)
    assert url.startswith("http://127.0.0.1:8152/p/") and url in job.message.body
    assert portal_link_find(url.rstrip("/").rsplit("/", 1)[-1]).case == case
    assert f"case {case.pk} " in printed and f"http://127.0.0.1:8152/cases/{case.pk}/" in printed
    assert "second factor: Date of birth" in printed
    phone = borrower.phones.get().number
    for personal in (borrower.full_name, phone, phone.lstrip("+"), borrower.date_of_birth.isoformat()):
        assert personal not in printed


def test_before_any_reminder_it_says_so_and_case_makes_a_link():
    case = make_case(due_in_days=-3)

    assert "No reminder has carried a portal link yet" in _run()
    printed = _run("--case", str(case.pk))

    link = PortalLink.objects.get()
    assert link.case == case and link.source == LinkSource.API
    url = re.search(r"borrower's link: (\S+)", printed).group(1)
    assert portal_link_find(url.rstrip("/").rsplit("/", 1)[-1]) == link
    with pytest.raises(CommandError, match="No case 999999"):
        _run("--case", "999999")


def test_the_demo_platforms_ask_a_second_factor_and_take_payments_on_their_page():
    from demo.portfolio import PLATFORM_PORTALS, PLATFORMS, seed_demo

    seed_demo()

    for slug, (name, _jurisdiction) in PLATFORMS.items():
        platform = Platform.objects.get(name=name)
        assert (platform.portal_second_factor, platform.payment_url_template) == PLATFORM_PORTALS[slug]
        assert platform.payment_url_template.startswith("https://")
    assert Platform.objects.get(name="Alpha Lending").portal_second_factor == SecondFactor.NATIONAL_ID_LAST4
