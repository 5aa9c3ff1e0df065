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
import gettext
import re
from collections.abc import Iterable

import pycountry
from django.utils.functional import Promise
from django.utils.translation import get_language, pgettext_lazy

StrOrPromise = str | Promise

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


# --- Names, as a person reads them ------------------------------------------------------------------------
# The regions the rule packs know (CN, US, GB) by their usual short name, translated in the catalogue with
# the context "region" (北京, not "Beijing Shi"); China's numeric GB/T 2260 codes and ISO's letter codes share
# a name. Every other subdivision takes pycountry's ISO name (in Chinese from pycountry's own iso3166-2 catalogue, where it has
# one); an unknown code stays as it is.
_CN_NAMES: dict[tuple[str, str], StrOrPromise] = {
    ("11", "BJ"): pgettext_lazy("region", "Beijing"),
    ("12", "TJ"): pgettext_lazy("region", "Tianjin"),
    ("13", "HE"): pgettext_lazy("region", "Hebei"),
    ("14", "SX"): pgettext_lazy("region", "Shanxi"),
    ("15", "NM"): pgettext_lazy("region", "Inner Mongolia"),
    ("21", "LN"): pgettext_lazy("region", "Liaoning"),
    ("22", "JL"): pgettext_lazy("region", "Jilin"),
    ("23", "HL"): pgettext_lazy("region", "Heilongjiang"),
    ("31", "SH"): pgettext_lazy("region", "Shanghai"),
    ("32", "JS"): pgettext_lazy("region", "Jiangsu"),
    ("33", "ZJ"): pgettext_lazy("region", "Zhejiang"),
    ("34", "AH"): pgettext_lazy("region", "Anhui"),
    ("35", "FJ"): pgettext_lazy("region", "Fujian"),
    ("36", "JX"): pgettext_lazy("region", "Jiangxi"),
    ("37", "SD"): pgettext_lazy("region", "Shandong"),
    ("41", "HA"): pgettext_lazy("region", "Henan"),
    ("42", "HB"): pgettext_lazy("region", "Hubei"),
    ("43", "HN"): pgettext_lazy("region", "Hunan"),
    ("44", "GD"): pgettext_lazy("region", "Guangdong"),
    ("45", "GX"): pgettext_lazy("region", "Guangxi"),
    ("46", "HI"): pgettext_lazy("region", "Hainan"),
    ("50", "CQ"): pgettext_lazy("region", "Chongqing"),
    ("51", "SC"): pgettext_lazy("region", "Sichuan"),
    ("52", "GZ"): pgettext_lazy("region", "Guizhou"),
    ("53", "YN"): pgettext_lazy("region", "Yunnan"),
    ("54", "XZ"): pgettext_lazy("region", "Xizang"),
    ("61", "SN"): pgettext_lazy("region", "Shaanxi"),
    ("62", "GS"): pgettext_lazy("region", "Gansu"),
    ("63", "QH"): pgettext_lazy("region", "Qinghai"),
    ("64", "NX"): pgettext_lazy("region", "Ningxia"),
    ("65", "XJ"): pgettext_lazy("region", "Xinjiang"),
    ("71", "TW"): pgettext_lazy("region", "Taiwan"),
    ("91", "HK"): pgettext_lazy("region", "Hong Kong"),
    ("92", "MO"): pgettext_lazy("region", "Macao"),
}
_US_NAMES: dict[str, StrOrPromise] = {
    "AL": pgettext_lazy("region", "Alabama"),
    "AK": pgettext_lazy("region", "Alaska"),
    "AZ": pgettext_lazy("region", "Arizona"),
    "AR": pgettext_lazy("region", "Arkansas"),
    "CA": pgettext_lazy("region", "California"),
    "CO": pgettext_lazy("region", "Colorado"),
    "CT": pgettext_lazy("region", "Connecticut"),
    "DE": pgettext_lazy("region", "Delaware"),
    "FL": pgettext_lazy("region", "Florida"),
    "GA": pgettext_lazy("region", "Georgia"),
    "HI": pgettext_lazy("region", "Hawaii"),
    "ID": pgettext_lazy("region", "Idaho"),
    "IL": pgettext_lazy("region", "Illinois"),
    "IN": pgettext_lazy("region", "Indiana"),
    "IA": pgettext_lazy("region", "Iowa"),
    "KS": pgettext_lazy("region", "Kansas"),
    "KY": pgettext_lazy("region", "Kentucky"),
    "LA": pgettext_lazy("region", "Louisiana"),
    "ME": pgettext_lazy("region", "Maine"),
    "MD": pgettext_lazy("region", "Maryland"),
    "MA": pgettext_lazy("region", "Massachusetts"),
    "MI": pgettext_lazy("region", "Michigan"),
    "MN": pgettext_lazy("region", "Minnesota"),
    "MS": pgettext_lazy("region", "Mississippi"),
    "MO": pgettext_lazy("region", "Missouri"),
    "MT": pgettext_lazy("region", "Montana"),
    "NE": pgettext_lazy("region", "Nebraska"),
    "NV": pgettext_lazy("region", "Nevada"),
    "NH": pgettext_lazy("region", "New Hampshire"),
    "NJ": pgettext_lazy("region", "New Jersey"),
    "NM": pgettext_lazy("region", "New Mexico"),
    "NY": pgettext_lazy("region", "New York"),
    "NC": pgettext_lazy("region", "North Carolina"),
    "ND": pgettext_lazy("region", "North Dakota"),
    "OH": pgettext_lazy("region", "Ohio"),
    "OK": pgettext_lazy("region", "Oklahoma"),
    "OR": pgettext_lazy("region", "Oregon"),
    "PA": pgettext_lazy("region", "Pennsylvania"),
    "RI": pgettext_lazy("region", "Rhode Island"),
    "SC": pgettext_lazy("region", "South Carolina"),
    "SD": pgettext_lazy("region", "South Dakota"),
    "TN": pgettext_lazy("region", "Tennessee"),
    "TX": pgettext_lazy("region", "Texas"),
    "UT": pgettext_lazy("region", "Utah"),
    "VT": pgettext_lazy("region", "Vermont"),
    "VA": pgettext_lazy("region", "Virginia"),
    "WA": pgettext_lazy("region", "Washington"),
    "WV": pgettext_lazy("region", "West Virginia"),
    "WI": pgettext_lazy("region", "Wisconsin"),
    "WY": pgettext_lazy("region", "Wyoming"),
    "DC": pgettext_lazy("region", "District of Columbia"),
    "AS": pgettext_lazy("region", "American Samoa"),
    "GU": pgettext_lazy("region", "Guam"),
    "MP": pgettext_lazy("region", "Northern Mariana Islands"),
    "PR": pgettext_lazy("region", "Puerto Rico"),
    "UM": pgettext_lazy("region", "United States Minor Outlying Islands"),
    "VI": pgettext_lazy("region", "United States Virgin Islands"),
}
_GB_NAMES: dict[str, StrOrPromise] = {
    "ENG": pgettext_lazy("region", "England"),
    "SCT": pgettext_lazy("region", "Scotland"),
    "WLS": pgettext_lazy("region", "Wales"),
    "NIR": pgettext_lazy("region", "Northern Ireland"),
    "EAW": pgettext_lazy("region", "England and Wales"),
    "GBN": pgettext_lazy("region", "Great Britain"),
    "UKM": pgettext_lazy("region", "United Kingdom"),
}
PACK_REGION_NAMES: dict[str, StrOrPromise] = {
    **{f"CN-{code}": name for codes, name in _CN_NAMES.items() for code in codes},
    **{f"US-{code}": name for code, name in _US_NAMES.items()},
    **{f"GB-{code}": name for code, name in _GB_NAMES.items()},
}


@functools.cache
def _iso_catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def region_label(region: str) -> str:
    """A region's name in the active language ("CN-11" -> 北京 / Beijing); the code itself if unknown."""
    code = normalize_region(region or "")
    if not code:
        return ""
    name = PACK_REGION_NAMES.get(code)
    if name is not None:
        return str(name)
    subdivision = pycountry.subdivisions.get(code=code) if code in iso_subdivisions() else None
    if subdivision is None:
        return region
    if (get_language() or "").startswith("zh"):
        return _iso_catalogue("zh_CN").gettext(subdivision.name)
    return str(subdivision.name)


def region_choices(regions: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) of the given regions for a filter or a select, in the order of their names."""
    return sorted(((r, region_label(r)) for r in set(regions) if r), key=lambda pair: (pair[1], pair[0]))
