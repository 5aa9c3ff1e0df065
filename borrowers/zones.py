"""Where the borrower is in time: candidate zones, local days and wall-clock conversions.

Everything here converts through zoneinfo; nothing adds fixed offsets or 24 hours, so daylight-saving
changes come out right.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from importlib import resources
from typing import Any

import phonenumbers
from phonenumbers import timezone as pn_timezone

from .regions import NO_ZONE_REGIONS, OVERSEAS_COUNTRY, region_country

UTC = dt.UTC

SHANGHAI = "Asia/Shanghai"
LONDON = "Europe/London"

# US states (+ DC and the territories) → IANA zones; the first is the state's primary zone. States that
# span zones list all of them, so a time rule must pass in each.
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    "AL": ("America/Chicago",),
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix", "America/Denver"),  # the Navajo Nation observes DST
    "AR": ("America/Chicago",),
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DE": ("America/New_York",),
    "DC": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),
    "GA": ("America/New_York",),
    "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "IA": ("America/Chicago",),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",),
    "ME": ("America/New_York",),
    "MD": ("America/New_York",),
    "MA": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MS": ("America/Chicago",),
    "MO": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NE": ("America/Chicago", "America/Denver"),
    "NV": ("America/Los_Angeles", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NY": ("America/New_York",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/Denver"),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago",),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",),
    "VT": ("America/New_York",),
    "VA": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WV": ("America/New_York",),
    "WI": ("America/Chicago",),
    "WY": ("America/Denver",),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "AS": ("Pacific/Pago_Pago",),
    # The Minor Outlying Islands: Midway (UTC-11) and Wake (UTC+12), the two with people and a zone.
    "UM": ("Pacific/Midway", "Pacific/Wake"),
}

# Zones that some tzdata builds drop (they are links in IANA's "backward" file) → the zone they link to,
# which every build has: Midway keeps Pago Pago's time, Wake keeps Tarawa's.
ZONE_FALLBACKS: dict[str, str] = {
    "Pacific/Midway": "Pacific/Pago_Pago",
    "Pacific/Wake": "Pacific/Tarawa",
}


def _available(zones: tuple[str, ...]) -> list[str]:
    """The zones this machine's tzdata knows, a missing link replaced by its target, without duplicates."""
    out: list[str] = []
    for zone in zones:
        if not is_valid_zone(zone):
            zone = ZONE_FALLBACKS.get(zone, "")
        if zone and is_valid_zone(zone) and zone not in out:
            out.append(zone)
    return out


# The countries whose region zones the rule packs fix (RULES.md, "Pack selection"); every other country's
# zones come from tzdata (RULES.md, "Additions").
PACK_ZONE_COUNTRIES = frozenset({"CN", "GB", "US"})


def region_zones(region: str) -> list[str]:
    """The IANA zones of an ISO 3166-2 region, its primary zone first; [] when none is known.

    The rule packs fix the table for three countries: every CN-* region (each province-level division,
    Hong Kong, Macau and Taiwan, under either code) is Asia/Shanghai; every GB-* region is
    Europe/London; a US state is its zones, and an unknown US-* has none. Any other region has its
    country's zones, all of them, in tzdata's order (zone.tab): DE-BE Europe/Berlin and Europe/Busingen,
    RU-MOW Russia's 26. A subdivision ISO also lists as a country (FR-974 La Réunion) has that country's
    zones; an uninhabited one without a clock (FR-CP) has none."""
    region = (region or "").strip().upper()
    country, _, sub = region.partition("-")
    if country == "CN":
        return [SHANGHAI]
    if country == "GB":
        return [LONDON]
    if country == "US":
        return _available(US_STATE_ZONES.get(sub, ()))
    if not sub or region in NO_ZONE_REGIONS:
        return []
    return country_zones(OVERSEAS_COUNTRY.get(region, country))


@functools.cache
def _country_zone_table() -> dict[str, tuple[str, ...]]:
    """ISO country → its IANA zones, in tzdata's zone.tab order."""
    text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out.setdefault(parts[0], []).append(parts[2])
    return {country: tuple(zones) for country, zones in out.items()}


def country_zones(country: str) -> list[str]:
    """The zones tzdata lists for an ISO 3166-1 country (those this machine's tzdata has); [] if none."""
    return _available(_country_zone_table().get(country.upper(), ()))


@functools.cache
def _zone_countries() -> dict[str, frozenset[str]]:
    """IANA zone → ISO countries using it, from tzdata's zone.tab."""
    text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out.setdefault(parts[2], set()).add(parts[0])
    return {zone: frozenset(countries) for zone, countries in out.items()}


def number_zones(number: str) -> list[str]:
    """Zones of a phone number, or [] when unknown or when the answer spans more than one country
    (e.g. a US toll-free number answers every NANP zone, which says nothing about the person)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return []
    zones = [z for z in pn_timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    if not zones:
        return []
    countries: set[str] = set()
    table = _zone_countries()
    for zone in zones:
        countries |= table.get(zone, {zone})
    if len(countries) > 1:
        return []
    return [z for z in zones if is_valid_zone(z)]


@functools.cache
def is_valid_zone(name: str) -> bool:
    if not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def candidate_zones(*, borrower_tz: str, region: str, channel: str, to: str) -> tuple[list[str], dict[str, str]]:
    """The candidate zones (ordered, without duplicates) and where each came from.

    In CN, US and GB the borrower's stated zone joins the region's; elsewhere it replaces the country's
    zones (RULES.md, "Additions": the country's zones, or `borrower.timezone` when set)."""
    sources: dict[str, str] = {}
    stated = bool(borrower_tz and is_valid_zone(borrower_tz))
    if stated:
        sources.setdefault(borrower_tz, "borrower")
    if not stated or region_country((region or "").strip().upper()) in PACK_ZONE_COUNTRIES:
        for zone in region_zones(region):
            sources.setdefault(zone, "region")
    if channel in ("call", "sms") and to:
        for zone in number_zones(to):
            sources.setdefault(zone, "number")
    return list(sources), sources


def primary_zone(*, borrower_tz: str, region: str) -> str | None:
    """Counting days use the borrower's zone if set, else the first zone of the region."""
    if borrower_tz and is_valid_zone(borrower_tz):
        return borrower_tz
    zones = region_zones(region)
    return zones[0] if zones else None


def borrower_zone(borrower: Any) -> zoneinfo.ZoneInfo | None:
    """The one answer to "what is this borrower's local time zone" for pages, plans, reminders and the
    queue: the zone counting days use (`primary_zone`), as a ZoneInfo; None when the region has none."""
    name = primary_zone(borrower_tz=borrower.timezone, region=borrower.region)
    return tz(name) if name else None


def borrower_local_time(borrower: Any, now: dt.datetime) -> dt.datetime | None:
    """`now` on the borrower's wall clock (in `borrower_zone`); None when no zone is known."""
    zone = borrower_zone(borrower)
    return now.astimezone(zone) if zone else None


def borrower_today(borrower: Any, now: dt.datetime) -> dt.date:
    """The borrower's local day at `now`: the day in `borrower_zone`, or the UTC day when no zone is known."""
    return now.astimezone(borrower_zone(borrower) or UTC).date()


@functools.cache
def tz(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_day(at: dt.datetime, zone: str) -> dt.date:
    return at.astimezone(tz(zone)).date()


def local_wall_time(day: dt.date, wall: dt.time, zone: str) -> dt.datetime:
    """The UTC instant of a wall-clock time on a local day.

    A wall time in a spring-forward gap does not exist; it resolves to the first instant after the gap
    (the moment the clocks jump), so "midnight" in a zone that skips it is the transition itself.
    An ambiguous time (autumn) takes its first occurrence.
    """
    naive = dt.datetime.combine(day, wall)
    as_utc = naive.replace(tzinfo=tz(zone), fold=0).astimezone(UTC)
    if as_utc.astimezone(tz(zone)).replace(tzinfo=None) == naive:
        return as_utc
    # In a gap, fold=0 lands after the gap; walk back to the transition (gaps are at most a few hours).
    step = dt.timedelta(minutes=1)
    while (as_utc - step).astimezone(tz(zone)).replace(tzinfo=None) >= naive:
        as_utc -= step
    return as_utc


def start_of_local_day(day: dt.date, zone: str) -> dt.datetime:
    return local_wall_time(day, dt.time(0, 0), zone)


def parse_hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))
