"""ISO 3166-2 regions: every subdivision ISO lists (from pycountry's copy of the standard), plus the codes
lenders still send that ISO no longer lists.

China is accepted both with the GB/T 2260 numeric codes many lenders still send ("CN-31") and with the
letter codes ISO has used since 2017 ("CN-SH"); Great Britain also with the groupings ISO once listed
(GB-EAW England and Wales, GB-GBN Great Britain, GB-UKM the United Kingdom). Every other country's
subdivisions come from pycountry, which tracks the ISO 3166-2 newsletters: raise its pin in
requirements.txt and requirements.lock to take a newer list.
"""

from __future__ import annotations

import functools
import re

import pycountry

CN_NUMERIC = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "91", "92",
}  # fmt: skip
CN_ALPHA = {
    "AH", "BJ", "CQ", "FJ", "GD", "GS", "GX", "GZ", "HA", "HB", "HE", "HI", "HK", "HL", "HN",
    "JL", "JS", "JX", "LN", "MO", "NM", "NX", "QH", "SC", "SD", "SH", "SN", "SX", "TJ", "TW",
    "XJ", "XZ", "YN", "ZJ",
}  # fmt: skip
US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC",
    # outlying areas, which ISO lists as US subdivisions too
    "AS", "GU", "MP", "PR", "UM", "VI",
}  # fmt: skip
# The nations (and the groupings ISO lists or listed); the council areas come from pycountry.
GB_NATIONS = {"ENG", "SCT", "WLS", "NIR", "EAW", "GBN", "UKM"}

# The codes of the three jurisdictions with packs of their own, including those ISO no longer lists.
LEGACY_REGIONS: frozenset[str] = frozenset(
    {f"CN-{c}" for c in CN_NUMERIC | CN_ALPHA} | {f"US-{c}" for c in US_STATES} | {f"GB-{c}" for c in GB_NATIONS}
)

ISO_3166_2 = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
# The same form as the API's schema states it (either case: codes are upper-cased on the way in).
REGION_PATTERN = r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$"


@functools.cache
def iso_subdivisions() -> frozenset[str]:
    """Every ISO 3166-2 subdivision code pycountry knows (about 5,000)."""
    return frozenset(s.code for s in pycountry.subdivisions)


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region the API accepts: ISO 3166-2 and the legacy codes above."""
    return LEGACY_REGIONS | iso_subdivisions()


def is_known_region(region: str) -> bool:
    return region in LEGACY_REGIONS or region in iso_subdivisions()


def normalize_region(value: str) -> str:
    return value.strip().upper()


def region_country(region: str) -> str:
    """ "US-NY" -> "US"."""
    return region.split("-", 1)[0]


# Subdivisions that ISO 3166-1 also lists as countries of their own (an overseas department, territory or
# island with its own clock): their zones are that code's, not the mother country's (FR-974 La Réunion is
# Indian/Reunion, not Europe/Paris). CN-HK/MO/TW and the US outlying areas are fixed by the packs instead.
OVERSEAS_COUNTRY: dict[str, str] = {
    "FR-971": "GP",
    "FR-972": "MQ",
    "FR-973": "GF",
    "FR-974": "RE",
    "FR-976": "YT",
    "FR-BL": "BL",
    "FR-MF": "MF",
    "FR-NC": "NC",
    "FR-PF": "PF",
    "FR-PM": "PM",
    "FR-TF": "TF",
    "FR-WF": "WF",
    "NL-AW": "AW",
    "NL-CW": "CW",
    "NL-SX": "SX",
    "NL-BQ1": "BQ",
    "NL-BQ2": "BQ",
    "NL-BQ3": "BQ",
    "NO-21": "SJ",
    "NO-22": "SJ",
}
# Subdivisions with no clock of their own in tzdata (uninhabited): no zone, unless the borrower states one.
NO_ZONE_REGIONS = frozenset({"FR-CP"})  # Clipperton
