"""Write paths for borrowers, their contact points, holds and opt-outs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Platform, User

from . import validators
from .models import Borrower, Channel, Email, Hold, OptOut, Phone, ThirdParty

SIMPLE_FIELDS = ("full_name", "region", "timezone", "date_of_birth", "language", "address", "vulnerabilities")


@transaction.atomic
def borrower_create(
    *,
    platform: Platform,
    external_id: str,
    full_name: str,
    region: str,
    timezone: str = "",
    national_id: str | None = None,
    date_of_birth: dt.date | None = None,
    language: str = "en",
    address: str = "",
    phones: Sequence[dict[str, Any]] = (),
    emails: Sequence[dict[str, Any]] = (),
    third_parties: Sequence[dict[str, Any]] = (),
    vulnerabilities: Sequence[str] = (),
) -> Borrower:
    if Borrower.objects.filter(platform=platform, external_id=external_id).exists():
        raise ValidationError({"external_id": [_("A borrower with this external id already exists.")]})
    borrower = Borrower(
        platform=platform,
        external_id=external_id,
        full_name=full_name,
        region=region,
        timezone=timezone,
        date_of_birth=date_of_birth,
        language=language,
        address=address,
        vulnerabilities=list(vulnerabilities),
    )
    borrower.set_national_id(national_id)
    try:
        with transaction.atomic():
            borrower.save()
    except IntegrityError:  # a concurrent create with the same external id won the race
        raise ValidationError({"external_id": [_("A borrower with this external id already exists.")]})
    _replace_phones(borrower, phones)
    _replace_emails(borrower, emails)
    _replace_third_parties(borrower, third_parties)
    return borrower


@transaction.atomic
def borrower_update(*, borrower: Borrower, data: dict[str, Any]) -> Borrower:
    """Change the fields present in `data`; a list given (phones, emails, third_parties) replaces the old one."""
    # The same row lock the compliance gate takes: contact points do not change under a running check.
    borrower = Borrower.objects.select_for_update().get(pk=borrower.pk)
    changed = False
    for field in SIMPLE_FIELDS:
        if field in data:
            value = list(data[field]) if field == "vulnerabilities" else data[field]
            if field == "date_of_birth" or value is not None:
                setattr(borrower, field, value)
                changed = True
    if "national_id" in data:
        borrower.set_national_id(data["national_id"])
        changed = True
    if changed:
        borrower.save()
    if data.get("phones") is not None:
        _replace_phones(borrower, data["phones"])
    if data.get("emails") is not None:
        _replace_emails(borrower, data["emails"])
    if data.get("third_parties") is not None:
        _replace_third_parties(borrower, data["third_parties"])
    if not changed:
        borrower.save(update_fields=["updated_at"])
    return borrower


def _replace_phones(borrower: Borrower, items: Iterable[dict[str, Any]]) -> None:
    """Match by number: a kept number keeps its id (and its `invalid` flag); others are deleted."""
    existing = {p.number: p for p in borrower.phones.all()}
    keep: set[int] = set()
    for position, item in enumerate(items):
        phone = existing.get(item["number"])
        attrs = {
            "kind": item.get("kind", "mobile"),
            "autodial_consent": item.get("autodial_consent", False),
            "work_contact_prohibited": item.get("work_contact_prohibited", False),
            "position": position,
        }
        if phone is None:
            phone = Phone.objects.create(borrower=borrower, number=item["number"], **attrs)
        elif any(getattr(phone, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(phone, k, v)
            phone.save()
        keep.add(phone.pk)
    for phone in existing.values():
        if phone.pk not in keep:
            phone.delete()


def _replace_emails(borrower: Borrower, items: Iterable[dict[str, Any]]) -> None:
    existing = {e.address.lower(): e for e in borrower.emails.all()}
    keep: set[int] = set()
    for position, item in enumerate(items):
        email = existing.get(item["address"].lower())
        attrs = {"address": item["address"], "kind": item.get("kind", "personal"), "position": position}
        if email is None:
            email = Email.objects.create(borrower=borrower, **attrs)
        elif any(getattr(email, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(email, k, v)
            email.save()
        keep.add(email.pk)
    for email in existing.values():
        if email.pk not in keep:
            email.delete()


def _replace_third_parties(borrower: Borrower, items: Iterable[dict[str, Any]]) -> None:
    """Match by (name, phone). A dropped third party that contacts or decisions point at is kept.

    The contact log and compliance decisions reference third parties with PROTECT: deleting one would
    break the record of who was contacted. Such a third party stays on the borrower, after the listed ones.
    """
    existing = {(t.name, t.phone): t for t in borrower.third_parties.all()}
    keep: set[int] = set()
    position = 0
    for position, item in enumerate(items):  # noqa: B007
        key = (item["name"], item.get("phone") or "")
        tp = existing.get(key)
        attrs = {"relationship": item.get("relationship", "reference"), "position": position}
        if tp is None:
            tp = ThirdParty.objects.create(borrower=borrower, name=key[0], phone=key[1], **attrs)
        elif any(getattr(tp, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(tp, k, v)
            tp.save()
        keep.add(tp.pk)
    for tp in existing.values():
        if tp.pk in keep:
            continue
        try:
            # Django collects PROTECT references before deleting anything, so a refusal changes nothing.
            tp.delete()
        except ProtectedError:
            position += 1
            if tp.position != position:
                tp.position = position
                tp.save(update_fields=["position"])


# --- holds and opt-outs ---------------------------------------------------------------------------------


@transaction.atomic
def hold_create(
    *,
    borrower: Borrower,
    kind: str,
    loan=None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    note: str = "",
    created_by: User | None = None,
) -> Hold:
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at < starts_at:
        raise ValidationError({"ends_at": [_("The hold cannot end before it starts.")]})
    if loan is not None and loan.borrower_id != borrower.pk:
        raise ValidationError({"loan": [_("This loan belongs to another borrower.")]})
    return Hold.objects.create(
        borrower=borrower, kind=kind, loan=loan, starts_at=starts_at, ends_at=ends_at, note=note, created_by=created_by
    )


@transaction.atomic
def hold_lift(*, hold: Hold, ends_at: dt.datetime | None = None) -> Hold:
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    ends_at = ends_at or timezone.now()
    if ends_at < hold.starts_at:
        raise ValidationError({"ends_at": [_("The hold cannot end before it starts.")]})
    hold.ends_at = ends_at
    hold.save(update_fields=["ends_at"])
    return hold


@transaction.atomic
def opt_out_create(*, borrower: Borrower, channel: str, to: str = "", created_by: User | None = None) -> OptOut:
    """Record an opt-out; `to` empty means the whole channel. Repeating one returns the existing row."""
    to = (to or "").strip()
    if to:
        try:
            if channel in (Channel.CALL, Channel.SMS):
                to = validators.normalize_e164(to)
            elif channel == Channel.EMAIL:
                validate_email(to)
        except ValidationError as exc:
            raise ValidationError({"to": exc.messages})
    existing = OptOut.objects.filter(borrower=borrower, channel=channel, to=to).first()
    if existing is not None:
        return existing
    return OptOut.objects.create(borrower=borrower, channel=channel, to=to, created_by=created_by)
