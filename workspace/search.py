"""Finding a case for an inbound caller: by the borrower's name, a phone number written any way, the tail
of the national id, or the borrower's or loan's external id, among the cases the user may see.

Phone numbers go through the gate's own normalisation (`borrowers.validators.normalise_to`), so that
"139 1234 5678", "+86 139-1234-5678" and "8613912345678" all find the number stored as +8613912345678.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Q, QuerySet, Value, When

from accounts.models import User
from borrowers.masking import mask_phone
from borrowers.models import Channel, Phone
from borrowers.validators import normalise_to
from cases.models import Case, CaseStatus

# The countries of the rule packs: a number written without its country code is tried as each one's.
PHONE_COUNTRIES = ("CN", "US", "GB")
SEARCH_LIMIT = 50
MIN_NAME_LENGTH = 2
_PHONE_CHARS = re.compile(r"^[+\d\s().\-]+$")
_ID_TAIL = re.compile(r"^[0-9A-Za-z]{4}$")


def phone_candidates(text: str) -> set[str]:
    """The E.164 forms `text` may stand for, as the gate normalises numbers (none if it is no number)."""
    text = text.strip()
    if not _PHONE_CHARS.match(text) or sum(ch.isdigit() for ch in text) < 7:
        return set()
    regions = ("",) if text.startswith("+") else ("", *PHONE_COUNTRIES)
    found = {normalise_to(text, channel=Channel.CALL, region=region) for region in regions}
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+"):
        # A number written with its country code but without the "+" (8613912345678, 00 86 ...).
        found.add(normalise_to("+" + digits.removeprefix("00"), channel=Channel.CALL))
    return {number for number in found if number.startswith("+") and number[1:].isdigit()}


def search_condition(text: str) -> Q | None:
    """What a search for `text` matches, on Case; None when it can match nothing."""
    text = " ".join(text.split())
    if not text:
        return None
    condition = Q(borrower__external_id=text) | Q(loan__external_id=text)
    numbers = phone_candidates(text)
    if numbers:
        condition |= Q(borrower__phones__number__in=numbers)
    if _ID_TAIL.match(text):
        condition |= Q(borrower__national_id_last4=text.upper())
    if len(text) >= MIN_NAME_LENGTH and not numbers:
        condition |= Q(borrower__full_name__icontains=text)
    return condition


def case_search(user: User, text: str, *, limit: int = SEARCH_LIMIT) -> list[Case]:
    """The cases matching `text` that `user` may see: open ones first, newest first, at most `limit`."""
    condition = search_condition(text)
    if condition is None:
        return []
    ids = (
        Case.objects.visible_to(user).filter(condition).order_by().values_list("pk", flat=True).distinct()[: limit * 2]
    )
    open_first = SqlCase(When(status=CaseStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    cases: QuerySet[Case] = (
        Case.objects.filter(pk__in=list(ids))
        .select_related("borrower", "loan", "assigned_to")
        .prefetch_related("borrower__phones")
        .order_by(open_first, "-opened_at", "-pk")
    )
    return list(cases[:limit])


@dataclass
class MatchedPhone:
    label: str
    matched: bool


def result_phones(case: Case, text: str, *, full_pii: bool) -> list[MatchedPhone]:
    """The borrower's phones as a search result shows them (masked for who may not see them), the one the
    caller's number matched marked."""
    numbers = phone_candidates(text)
    phones: list[Phone] = list(case.borrower.phones.all())
    return [
        MatchedPhone(p.number if full_pii else mask_phone(p.number), p.number in numbers)
        for p in phones
        if not p.invalid or p.number in numbers
    ]
