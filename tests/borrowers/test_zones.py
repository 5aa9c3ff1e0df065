"""One answer to "what time is it for this borrower": the region table of borrowers.zones, and the same local
time on the case list, the case page, the work queue, the gate's decision, a promise or plan, and a reminder.

The pages and the gate run at a frozen instant (`NOW`) for borrowers with no zone of their own on record, so
the region alone decides; the expected wall-clock times are written out, not computed with the code under test.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from borrowers import regions, zones
from borrowers.zones import (
    borrower_local_time,
    borrower_today,
    borrower_zone,
    candidate_zones,
    primary_zone,
    region_zones,
)
from cases.models import Case
from compliance import packs
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from outreach.planning import scheduled_time
from repayment_plans.models import Promise
from repayment_plans.services import plan_preview, promise_create
from tests import factories

UTC = dt.UTC

# --- the region table -----------------------------------------------------------------------------------

# GB/T 2260 numeric code → ISO letter code, for every province-level division.
CN_CODE_PAIRS = {
    "11": "BJ", "12": "TJ", "13": "HE", "14": "SX", "15": "NM", "21": "LN", "22": "JL", "23": "HL",
    "31": "SH", "32": "JS", "33": "ZJ", "34": "AH", "35": "FJ", "36": "JX", "37": "SD", "41": "HA",
    "42": "HB", "43": "HN", "44": "GD", "45": "GX", "46": "HI", "50": "CQ", "51": "SC", "52": "GZ",
    "53": "YN", "54": "XZ", "61": "SN", "62": "GS", "63": "QH", "64": "NX", "65": "XJ", "71": "TW",
    "91": "HK", "92": "MO",
}  # fmt: skip


def test_the_pairs_cover_every_accepted_cn_code():
    assert set(CN_CODE_PAIRS) == regions.CN_NUMERIC
    assert set(CN_CODE_PAIRS.values()) == regions.CN_ALPHA


@pytest.mark.parametrize(("numeric", "letters"), sorted(CN_CODE_PAIRS.items()))
def test_every_cn_division_is_shanghai_under_both_codes(numeric, letters):
    # The rule packs: CN-* → Asia/Shanghai, Xinjiang, Hong Kong, Macau and Taiwan included.
    assert region_zones(f"CN-{numeric}") == ["Asia/Shanghai"]
    assert region_zones(f"CN-{letters}") == ["Asia/Shanghai"]


def test_existing_cn_regions_keep_shanghai_and_any_other_cn_code_gets_official_time():
    # What the gate's tests rely on (CN-31) stays, and a CN code outside the table still has the
    # official time rather than no zone at all (RULES: CN-* → Asia/Shanghai).
    assert region_zones("CN-31") == ["Asia/Shanghai"]
    assert region_zones("CN-SH") == ["Asia/Shanghai"]
    assert region_zones("CN-99") == ["Asia/Shanghai"]


def test_region_codes_are_read_case_and_space_insensitively():
    assert region_zones(" cn-xj ") == ["Asia/Shanghai"]
    assert region_zones("us-hi") == ["Pacific/Honolulu"]


def test_xinjiang_is_in_official_time_as_the_rule_packs_say():
    assert primary_zone(borrower_tz="", region="CN-XJ") == "Asia/Shanghai"
    found, sources = candidate_zones(borrower_tz="", region="CN-65", channel="call", to="+869912345678")
    assert found == ["Asia/Shanghai"]
    assert sources == {"Asia/Shanghai": "region"}


@pytest.mark.parametrize("state", sorted(regions.US_STATES))
def test_every_us_state_and_territory_has_known_zones(state):
    found = region_zones(f"US-{state}")
    assert found, state
    assert all(zones.is_valid_zone(z) for z in found)
    assert len(found) == len(set(found))


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("US-HI", ["Pacific/Honolulu"]),
        ("US-AZ", ["America/Phoenix", "America/Denver"]),
        ("US-IL", ["America/Chicago"]),
        ("US-AS", ["Pacific/Pago_Pago"]),
        ("US-GU", ["Pacific/Guam"]),
        ("US-MP", ["Pacific/Saipan"]),
        ("US-PR", ["America/Puerto_Rico"]),
        ("US-VI", ["America/St_Thomas"]),
    ],
)
def test_us_regions(region, expected):
    assert region_zones(region) == expected


def test_the_minor_outlying_islands_are_midway_and_wake():
    available = zoneinfo.available_timezones()
    expected = [
        zone if zone in available else fallback
        for zone, fallback in (("Pacific/Midway", "Pacific/Pago_Pago"), ("Pacific/Wake", "Pacific/Tarawa"))
    ]
    assert region_zones("US-UM") == expected


def test_a_tzdata_without_midway_and_wake_falls_back_to_the_zones_they_link_to(monkeypatch):
    dropped = {"Pacific/Midway", "Pacific/Wake"}
    valid = zones.is_valid_zone
    monkeypatch.setattr(zones, "is_valid_zone", lambda name: name not in dropped and valid(name))
    assert region_zones("US-UM") == ["Pacific/Pago_Pago", "Pacific/Tarawa"]


def test_an_unknown_us_code_or_another_country_has_no_region_zone():
    assert region_zones("US-ZZ") == []
    assert region_zones("ZZ-01") == []
    assert region_zones("") == []


@pytest.mark.parametrize("nation", sorted(regions.GB_NATIONS))
def test_every_gb_nation_is_london(nation):
    assert region_zones(f"GB-{nation}") == ["Europe/London"]


def test_every_zone_of_the_tables_exists_here_or_has_a_fallback():
    listed = {z for zs in zones.US_STATE_ZONES.values() for z in zs} | {zones.SHANGHAI, zones.LONDON}
    for zone in listed:
        assert zones.is_valid_zone(zone) or zones.is_valid_zone(zones.ZONE_FALLBACKS.get(zone, "")), zone


@dataclass
class _Borrower:
    timezone: str
    region: str


def test_the_borrowers_own_zone_wins_over_the_region():
    at = dt.datetime(2026, 6, 10, 8, 30, tzinfo=UTC)
    assert borrower_zone(_Borrower("Europe/Berlin", "CN-65")).key == "Europe/Berlin"
    assert borrower_local_time(_Borrower("Europe/Berlin", "CN-65"), at).hour == 10
    # An invalid zone on record is ignored: the region's primary zone is used.
    assert borrower_zone(_Borrower("Mars/Olympus", "US-HI")).key == "Pacific/Honolulu"


def test_without_any_zone_there_is_no_local_time_and_the_day_is_utcs():
    at = dt.datetime(2026, 6, 10, 23, 30, tzinfo=UTC)
    nowhere = _Borrower("", "ZZ-01")
    assert borrower_zone(nowhere) is None
    assert borrower_local_time(nowhere, at) is None
    assert borrower_today(nowhere, at) == dt.date(2026, 6, 10)
    assert borrower_today(_Borrower("", "CN-65"), at) == dt.date(2026, 6, 11)


# --- the same local time everywhere ---------------------------------------------------------------------

# A Wednesday, 08:30 UTC: late Tuesday evening in Honolulu, small hours in Arizona and Illinois, afternoon
# in Xinjiang (on official time) and morning in Northern Ireland (summer time).
NOW = dt.datetime(2026, 6, 10, 8, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Place:
    region: str
    phone: str  # a number of the same zone, so the gate adds no other zone from it
    zone: str  # the zone the borrower's local time is shown in
    abbr: str  # its abbreviation at NOW, as the case page shows it
    clock: str  # "H:i" as the case list and the queue show it
    weekday: str  # "D"
    iso: str  # the gate's stored local time in that zone
    day: dt.date  # the borrower's today


PLACES = [
    Place("US-HI", "+18085550123", "Pacific/Honolulu", "HST", "22:30", "Tue", "2026-06-09T22:30:00-10:00", dt.date(2026, 6, 9)),
    Place("US-AZ", "+16025550123", "America/Phoenix", "MST", "01:30", "Wed", "2026-06-10T01:30:00-07:00", dt.date(2026, 6, 10)),
    Place("US-IL", "+13125550123", "America/Chicago", "CDT", "03:30", "Wed", "2026-06-10T03:30:00-05:00", dt.date(2026, 6, 10)),
    Place("CN-65", "+869912345678", "Asia/Shanghai", "CST", "16:30", "Wed", "2026-06-10T16:30:00+08:00", dt.date(2026, 6, 10)),
    Place("GB-NIR", "+442890123456", "Europe/London", "BST", "09:30", "Wed", "2026-06-10T09:30:00+01:00", dt.date(2026, 6, 10)),
]  # fmt: skip


@pytest.fixture
def frozen():
    """The clock stopped at NOW, for factories, pages, the gate and the services alike."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _fresh_pack_cache():
    # A pack version cached by one (rolled-back) test must not leak into the next.
    packs.clear_cache()
    yield
    packs.clear_cache()


@pytest.fixture
def cases(frozen, platform, collector) -> dict[str, Case]:
    """One open case of the collector per place, the borrower with no zone on record."""
    out = {}
    for place in PLACES:
        borrower = factories.BorrowerFactory(platform=platform, region=place.region, timezone="", language="en")
        factories.PhoneFactory(borrower=borrower, number=place.phone, kind="mobile")
        loan = factories.LoanFactory(borrower=borrower)
        factories.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 5, 1))
        out[place.region] = factories.CaseFactory(loan=loan, assigned_to=collector)
    return out


def _row(html: str, case: Case) -> str:
    """The table row of one case (the one linking to its page)."""
    (row,) = [r for r in re.findall(r"<tr\b.*?</tr>", html, re.S) if f'href="/cases/{case.pk}/"' in r]
    return row


def _list_clock(row: str) -> str:
    """The local time cell of a case list or queue row: "22:30 Tue"."""
    (match,) = re.findall(r'<td(?: class="[^"]*")?>(\d\d:\d\d) <span class="muted small">(\w+)</span></td>', row)
    return " ".join(match)


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["collector", "supervisor"])
def test_the_case_list_shows_the_regions_local_time(client, cases, viewer, request):
    client.force_login(request.getfixturevalue(viewer))
    html = client.get("/cases/").content.decode()
    for place in PLACES:
        assert _list_clock(_row(html, cases[place.region])) == f"{place.clock} {place.weekday}", place.region


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["collector", "supervisor"])
def test_the_case_page_shows_the_regions_local_time(client, cases, viewer, request):
    client.force_login(request.getfixturevalue(viewer))
    for place in PLACES:
        response = client.get(f"/cases/{cases[place.region].pk}/")
        assert response.status_code == 200
        (shown,) = re.findall(r"Local time</dt><dd>(.*?)</dd>", response.content.decode(), re.S)
        assert shown == f'{place.weekday} {place.clock} <span class="muted small">{place.abbr}</span>', place.region
        # The "next allowed" times of the compliance panel are rendered in the same zone.
        assert response.context["borrower_zone"].key == place.zone


@pytest.mark.django_db
def test_the_work_queue_shows_the_regions_local_time(client, cases, collector, supervisor):
    for viewer, url in ((collector, "/queue/"), (supervisor, f"/queue/?collector={collector.pk}")):
        client.force_login(viewer)
        html = client.get(url).content.decode()
        for place in PLACES:
            row = _row(html, cases[place.region])
            assert f'data-case="{cases[place.region].pk}"' in row
            assert _list_clock(row) == f"{place.clock} {place.weekday}", (viewer.username, place.region)


@pytest.mark.django_db
def test_the_gates_decision_has_the_same_local_time_and_day(cases):
    for place in PLACES:
        borrower = cases[place.region].borrower
        action = OutreachAction(borrower=borrower, channel="call", at=NOW, dry_run=True)
        result = outreach_authorize(action=action, actor=Actor("platform"))
        facts = result.decision.facts["zones"]
        assert facts["primary"] == place.zone, place.region
        assert facts["local_times"][place.zone] == place.iso, place.region
        assert facts["local_day"] == place.day.isoformat(), place.region
        assert borrower_local_time(borrower, NOW).isoformat() == place.iso


@pytest.mark.django_db
def test_promises_and_plans_count_the_borrowers_day(cases, collector):
    for place in PLACES:
        case = cases[place.region]
        # "Today" where the borrower is may be yesterday in UTC (Honolulu, late evening): not in the past.
        promise = promise_create(case=case, amount=Decimal("100.00"), due_date=place.day, created_by=collector)
        assert promise.due_date == place.day
        Promise.objects.filter(pk=promise.pk).delete()
        with pytest.raises(ValidationError) as error:
            promise_create(case=case, amount=Decimal("100.00"), due_date=place.day - dt.timedelta(days=1))
        assert "due_date" in error.value.message_dict
        # A plan starting on the borrower's today is accepted; one starting the day before is not.
        terms = plan_preview(case=case, user=collector, kind="installment", first_due_date=place.day)
        assert terms.lines[0].due_date == place.day
        with pytest.raises(ValidationError) as error:
            plan_preview(case=case, user=collector, kind="installment", first_due_date=place.day - dt.timedelta(days=1))
        assert "first_due_date" in error.value.message_dict


def test_reminders_are_scheduled_at_nine_on_the_borrowers_clock():
    target = dt.date(2026, 6, 11)
    before = dt.datetime(2026, 6, 1, tzinfo=UTC)
    expected = {
        "US-HI": dt.datetime(2026, 6, 11, 19, 0, tzinfo=UTC),
        "US-AZ": dt.datetime(2026, 6, 11, 16, 0, tzinfo=UTC),
        "US-IL": dt.datetime(2026, 6, 11, 14, 0, tzinfo=UTC),
        "CN-65": dt.datetime(2026, 6, 11, 1, 0, tzinfo=UTC),
        "GB-NIR": dt.datetime(2026, 6, 11, 8, 0, tzinfo=UTC),
        "ZZ-01": dt.datetime(2026, 6, 11, 9, 0, tzinfo=UTC),  # no zone known: UTC
    }
    for region, when in expected.items():
        assert scheduled_time(target=target, now=before, borrower_tz="", region=region) == when, region
    # Once 09:00 has passed, now.
    late = dt.datetime(2026, 6, 11, 20, 0, tzinfo=UTC)
    assert scheduled_time(target=target, now=late, borrower_tz="", region="US-HI") == late


@pytest.mark.django_db
def test_xinjiang_calls_follow_official_time(platform):
    """RULES: CN-* → Asia/Shanghai. A borrower who lives by Xinjiang time and wants calls later sets
    `borrower.timezone`, which then joins the candidates."""
    borrower = factories.BorrowerFactory(platform=platform, region="CN-XJ", timezone="")
    factories.PhoneFactory(borrower=borrower, number="+869912345678")
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")

    def check(hour: int):
        at = dt.datetime(2026, 6, 10, hour, 0, tzinfo=shanghai)
        action = OutreachAction(borrower=borrower, channel="call", at=at, dry_run=True)
        return outreach_authorize(action=action, actor=Actor("platform"))

    early = check(7)
    assert not early.allowed
    assert {r["code"] for r in early.reasons} == {"quiet_hours"}
    assert early.next_allowed_at == dt.datetime(2026, 6, 10, 8, 0, tzinfo=shanghai)
    assert early.decision.facts["zones"]["candidates"] == ["Asia/Shanghai"]
    assert check(9).allowed
