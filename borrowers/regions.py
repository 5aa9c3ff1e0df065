"""Known ISO 3166-2 subdivisions for the jurisdictions we serve (CN, US, UK).

Kept as data in the code because no ISO 3166 package is a dependency; the lists are short and change
rarely. China is accepted both with the GB/T 2260 numeric codes many lenders still send ("CN-31") and
with the letter codes ISO has used since 2017 ("CN-SH").
"""

from __future__ import annotations

import re

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
# The nations (and the groupings ISO lists); finer council areas are not needed for the rule packs.
GB_NATIONS = {"ENG", "SCT", "WLS", "NIR", "EAW", "GBN", "UKM"}

KNOWN_REGIONS: frozenset[str] = frozenset(
    {f"CN-{c}" for c in CN_NUMERIC | CN_ALPHA} | {f"US-{c}" for c in US_STATES} | {f"GB-{c}" for c in GB_NATIONS}
)

ISO_3166_2 = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


def normalize_region(value: str) -> str:
    return value.strip().upper()


def region_country(region: str) -> str:
    """ "US-NY" -> "US"."""
    return region.split("-", 1)[0]
