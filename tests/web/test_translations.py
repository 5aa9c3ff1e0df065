"""zh-hans everywhere (issue 15, item 8): the catalogue has no untranslated or fuzzy entry and its .mo is
compiled from it; the collector's and the supervisor's pages rendered in Chinese show no English interface
text (every word left is data: names, codes, amounts).

The pages are filled with Chinese data (names, platform, team), so an English word on them is a string
that did not go through gettext, a choice label without a translation, or a raw code."""

from __future__ import annotations

import datetime as dt
import gettext
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from contacts.services import contact_record_outcome
from outreach.call_scripts import seed_call_scripts
from outreach.models import Task, TaskKind
from repayment_plans.models import Promise
from supervision.models import QualitySample
from tests import factories

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai

# Words that are the same in a Chinese interface: the other language's name on the switch, currency and
# unit codes, proper names of standards and products, and the rule packs' codes.
ALLOWED = {"English", "CNY", "USD", "GBP", "Webhook", "Webhooks", "API", "SMS", "PDF", "CSV", "ISO", "UTC", "QA"}
ALLOWED |= {"CN", "US", "UK", "CST"}  # rule packs; China Standard Time, as a time's zone is written
ALLOWED |= {"Esc"}  # the key's name, as printed on keyboards in China too
# Data the fixture cannot write in Chinese: sign-in names.
ALLOWED |= {"wangli", "zhaomin"}


# --- the catalogue ------------------------------------------------------------------------------------------


def _entries(text: str) -> list[dict[str, object]]:
    """The .po's entries: flags, msgid and each msgstr (plural forms as msgstr[n]), strings joined."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, ""
            continue
        if line.startswith("#,"):
            current["flags"] = {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] = str(current[key]) + _unquote(line)
        else:
            key, _sep, rest = line.partition(" ")
            current[key] = _unquote(rest)
    return entries


def _unquote(quoted: str) -> str:
    return quoted.strip()[1:-1].encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = [e for e in _entries(PO.read_text(encoding="utf-8")) if e.get("msgid") not in (None, "")]
    assert len(entries) > 1000  # the parser read the catalogue

    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]  # type: ignore[operator]
    untranslated = [e["msgid"] for e in entries if any(not v for k, v in e.items() if str(k).startswith("msgstr"))]

    assert fuzzy == []
    assert untranslated == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_mo_is_compiled_from_the_po(tmp_path):
    compiled = tmp_path / "django.mo"
    msgfmt = shutil.which("msgfmt")
    assert msgfmt is not None
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(PO)], check=True)  # noqa: S603 - our own file

    with compiled.open("rb") as fresh, MO.open("rb") as shipped:
        assert gettext.GNUTranslations(shipped)._catalog == gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]


# --- rendered pages -----------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """What a reader meets: text outside scripts and styles, and the titles, placeholders and labels."""

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A time zone's choices are IANA names (Asia/Shanghai): identifiers, the same in every language.
        if tag in ("script", "style") or (tag == "select" and ("name", "timezone") in attrs):
            self._skip += 1
        self.parts.extend(v for k, v in attrs if k in self.ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") or (tag == "select" and self._skip):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    # Codes and data: e-mail addresses, ids and references (L-1, CN-31, #12), times like 10:00 a.m.
    text = re.sub(r"\S+@\S+|\b[A-Z]{1,3}[-_]?\d[\w-]*|\b\w*\d\w*\b", " ", text)
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED}


@pytest.fixture
def chinese_day(db):
    """A Chinese team's day: a collector and a supervisor reading zh-hans, a case with history, a task,
    a promise due, a call sampled for review; every name and label of the data in Chinese."""
    seed_call_scripts()
    with time_machine.travel(NOW, tick=True):
        platform = factories.PlatformFactory(name="星辰金融")
        team = factories.TeamFactory(name="上海一组")
        collector = factories.UserFactory(
            username="wangli", first_name="丽", last_name="王", role=Role.COLLECTOR, team=team, language="zh-hans"
        )
        supervisor = factories.UserFactory(
            username="zhaomin",
            first_name="敏",
            last_name="赵",
            role=Role.SUPERVISOR,
            team=team,
            language="zh-hans",
            is_staff=True,
        )
        borrower = factories.BorrowerFactory(
            platform=platform, full_name="张伟", region="CN-31", timezone="Asia/Shanghai", address="上海市人民路1号"
        )
        factories.PhoneFactory(borrower=borrower, number="+8613912345678", kind="mobile")
        loan = factories.LoanFactory(borrower=borrower)
        factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=20))
        case = factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=Decimal("1060.00"))
        gate = outreach_authorize(
            action=OutreachAction(borrower=borrower, channel="call", case=case), actor=Actor.of_user(collector)
        )
        contact = contact_record_outcome(contact=gate.contact, outcome="right_party", duration_s=60, notes="已沟通")
        Promise.objects.create(case=case, amount=Decimal("300"), due_date=timezone.localdate(), created_by=collector)
        Task.objects.create(
            case=case, assigned_to=collector, kind=TaskKind.CALL, due_at=timezone.now(), reason="提醒未回复"
        )
        sample = QualitySample.objects.create(contact=contact, reason="collector_share")
    return {"collector": collector, "supervisor": supervisor, "case": case, "sample": sample}


def _page(client, user, url: str) -> str:
    client.force_login(user)
    with time_machine.travel(NOW, tick=True):
        response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    return html


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("collector", "/queue/"),
        ("collector", "/cases/{case}/"),
        ("collector", "/cases/{case}/plans/new/"),
        ("collector", "/tasks/"),
        ("collector", "/settings/"),
        ("supervisor", "/supervision/quality/"),
        ("supervisor", "/supervision/quality/{sample}/"),
        ("supervisor", "/supervision/experiments/"),
        ("supervisor", "/tasks/"),
        ("supervisor", "/alerts/"),
    ],
)
def test_a_chinese_page_shows_no_english_interface_text(client, chinese_day, who, url):
    html = _page(client, chinese_day[who], url.format(case=chinese_day["case"].pk, sample=chinese_day["sample"].pk))

    assert english_words(html) == set()


def test_the_call_panel_in_chinese_shows_no_english(client, chinese_day):
    case = chinese_day["case"]
    client.force_login(chinese_day["collector"])
    phone = case.borrower.phones.get()
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=True):  # past the CN daily cap of the call above
        response = client.post(f"/cases/{case.pk}/call/", {"point": f"phone:{phone.pk}"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()

    assert 'id="call-script"' in html
    assert english_words(html) == set()


def test_the_check_finds_english_text():
    # The check itself: an untranslated label is found, Chinese text and data are not.
    assert english_words("<p>结果 <label>Outcome</label> L-12 CN-31 CNY 1,060.00</p>") == {"Outcome"}
    assert english_words('<input placeholder="Find a case">') == {"Find", "case"}
    assert english_words("<script>const x = 'English text';</script><p>案件</p>") == set()
