"""Write paths for borrowers, their contact points, holds and opt-outs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Platform, User

from . import crypto, validators
from .models import Borrower, Channel, Email, Hold, OptOut, Phone, ThirdParty

BULK_BATCH = 2000
# bulk_update writes one CASE WHEN per row and field: large batches cost quadratic time in the database.
UPDATE_BATCH = 250
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
    items_list = list(items)
    for position, item in enumerate(items_list):
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
    if any(item["number"] not in existing for item in items_list):
        borrowers_clear_lost_contact(borrowers=[borrower])


@transaction.atomic
def borrowers_clear_lost_contact(*, borrowers: Iterable[Borrower]) -> list[int]:
    """A new phone is a new way to reach the borrower: the lost-contact flag no longer holds. (The
    escalation run flags the borrower again if every phone turns out invalid or the refusals go on.)"""
    cleared = []
    for borrower in borrowers:
        if borrower.lost_contact:
            # save() keeps the borrower's history trail (who/when the flag was cleared).
            borrower.lost_contact = False
            borrower.save(update_fields=["lost_contact", "updated_at"])
            cleared.append(borrower.pk)
    return cleared


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


# Holds whose life another app owns, by kind: a loan pause's hold (kind `paused`) ends with its pause
# (cases.pauses), so lifting it from outside must end the pause too. The owning app registers its path at
# start-up (an app above this one: borrowers may not import it); `hold_end` takes that path.
HoldEnder = Callable[..., Hold]
_HOLD_ENDERS: dict[str, HoldEnder] = {}


def hold_ender_register(kind: str, ender: HoldEnder) -> None:
    """`ender(hold=, ends_at=, user=)` ends holds of `kind` (and whatever they belong to)."""
    _HOLD_ENDERS[kind] = ender


def hold_end(*, hold: Hold, ends_at: dt.datetime | None = None, user: User | None = None) -> Hold:
    """End a hold as asked from outside (the holds API): through the path of the app that owns holds of its
    kind when there is one (a pause's hold ends its pause), else `hold_lift`."""
    ender = _HOLD_ENDERS.get(hold.kind)
    if ender is not None:
        return ender(hold=hold, ends_at=ends_at, user=user)
    return hold_lift(hold=hold, ends_at=ends_at)


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


# --- bulk upsert ----------------------------------------------------------------------------------------


class BorrowerRowsInvalid(Exception):
    """Some rows of a bulk upsert cannot be applied; nothing was written. `errors`: {row index: {field: [...]}}."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


class BorrowersConflict(Exception):
    """Another request created some of these borrowers at the same time; nothing was written."""


@dataclass(frozen=True)
class BorrowerUpsertResult:
    borrowers: list[Borrower]
    created: int
    updated: int


@dataclass
class _ContactPointPlan:
    create: list[Any] = dc_field(default_factory=list)
    update: list[Any] = dc_field(default_factory=list)
    delete: list[int] = dc_field(default_factory=list)


PHONE_ATTRS = ("kind", "autodial_consent", "work_contact_prohibited", "position")
EMAIL_ATTRS = ("address", "kind", "position")
THIRD_PARTY_ATTRS = ("relationship", "position")


def _national_id_changes(borrower: Borrower, value: str | None) -> bool:
    """Set the national id unless it is the same one (the encrypted text differs on every encryption)."""
    value = (value or "").strip()
    current = crypto.decrypt(borrower.national_id_encrypted) if borrower.national_id_encrypted else ""
    if value == (current or ""):
        return False
    borrower.set_national_id(value)
    return True


def _plan_phones(
    borrower: Borrower, existing: list[Phone], items: Sequence[dict[str, Any]], plan: _ContactPointPlan
) -> bool:
    by_number = {p.number: p for p in existing}
    changed = False
    for position, item in enumerate(items):
        attrs = {
            "kind": item.get("kind", "mobile"),
            "autodial_consent": item.get("autodial_consent", False),
            "work_contact_prohibited": item.get("work_contact_prohibited", False),
            "position": position,
        }
        phone = by_number.pop(item["number"], None)
        if phone is None:
            plan.create.append(Phone(borrower=borrower, number=item["number"], **attrs))
            changed = True
        elif any(getattr(phone, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(phone, k, v)
            plan.update.append(phone)
            changed = True
    plan.delete += [p.pk for p in by_number.values()]
    return changed or bool(by_number)


def _plan_emails(
    borrower: Borrower, existing: list[Email], items: Sequence[dict[str, Any]], plan: _ContactPointPlan
) -> bool:
    by_address = {e.address.lower(): e for e in existing}
    changed = False
    for position, item in enumerate(items):
        attrs = {"address": item["address"], "kind": item.get("kind", "personal"), "position": position}
        email = by_address.pop(item["address"].lower(), None)
        if email is None:
            plan.create.append(Email(borrower=borrower, **attrs))
            changed = True
        elif any(getattr(email, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(email, k, v)
            plan.update.append(email)
            changed = True
    plan.delete += [e.pk for e in by_address.values()]
    return changed or bool(by_address)


def _plan_third_parties(
    borrower: Borrower,
    existing: list[ThirdParty],
    items: Sequence[dict[str, Any]],
    plan: _ContactPointPlan,
    protected: set[int],
) -> bool:
    """As `_replace_third_parties`: a dropped third party that contacts or decisions point at is kept, last."""
    by_key = {(t.name, t.phone): t for t in existing}
    changed = False
    position = -1
    for position, item in enumerate(items):  # noqa: B007
        key = (item["name"], item.get("phone") or "")
        attrs = {"relationship": item.get("relationship", "reference"), "position": position}
        tp = by_key.pop(key, None)
        if tp is None:
            plan.create.append(ThirdParty(borrower=borrower, name=key[0], phone=key[1], **attrs))
            changed = True
        elif any(getattr(tp, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(tp, k, v)
            plan.update.append(tp)
            changed = True
    for tp in sorted(by_key.values(), key=lambda t: (t.position, t.pk)):
        if tp.pk not in protected:
            plan.delete.append(tp.pk)
            changed = True
            continue
        position += 1
        if tp.position != position:
            tp.position = position
            plan.update.append(tp)
            changed = True
    return changed


def _protected_third_parties(ids: Iterable[int]) -> set[int]:
    """Third parties the contact log or a compliance decision refers to (PROTECT): these are never deleted."""
    ids = list(ids)
    if not ids:
        return set()
    protected: set[int] = set()
    for rel in ThirdParty._meta.related_objects:
        if rel.on_delete is models.PROTECT:
            protected |= set(
                rel.related_model._default_manager.filter(**{f"{rel.field.name}__in": ids})
                .values_list(rel.field.attname, flat=True)
                .distinct()
            )
    return protected


@transaction.atomic
def borrowers_bulk_upsert(*, platform: Platform, borrowers: Sequence[dict[str, Any]]) -> BorrowerUpsertResult:
    """Create or update borrowers with their phones, emails and third parties; all or nothing, set-based.

    `borrowers` are validated rows (BorrowerInputSerializer). A known external_id is updated like a PATCH:
    fields left out keep their value, a list given (phones, emails, third_parties) replaces the old one,
    matched as `borrower_update` matches it (kept contact points keep their ids). Raises BorrowerRowsInvalid
    (nothing written) when a row breaks a rule, BorrowersConflict when a concurrent request won a race.
    """
    errors: dict[int, dict[str, list[str]]] = defaultdict(dict)
    first_row: dict[str, int] = {}
    for i, row in enumerate(borrowers):
        if row["external_id"] in first_row:
            errors[i]["external_id"] = [
                _("This external id is repeated in the request (row %(row)s).") % {"row": first_row[row["external_id"]]}
            ]
        else:
            first_row[row["external_id"]] = i
    if errors:
        raise BorrowerRowsInvalid(dict(errors))

    # The same row lock the compliance gate takes: contact points do not change under a running check.
    existing = {
        b.external_id: b
        for b in Borrower.objects.select_for_update().filter(platform=platform, external_id__in=list(first_row))
    }
    existing_ids = [b.pk for b in existing.values()]
    phones: dict[int, list[Phone]] = defaultdict(list)
    emails: dict[int, list[Email]] = defaultdict(list)
    third_parties: dict[int, list[ThirdParty]] = defaultdict(list)
    if existing_ids:
        for p in Phone.objects.filter(borrower_id__in=existing_ids):
            phones[p.borrower_id].append(p)
        for e in Email.objects.filter(borrower_id__in=existing_ids):
            emails[e.borrower_id].append(e)
        for t in ThirdParty.objects.filter(borrower_id__in=existing_ids):
            third_parties[t.borrower_id].append(t)
    protected = _protected_third_parties(t.pk for ts in third_parties.values() for t in ts)

    now = timezone.now()
    new_borrowers: list[Borrower] = []
    new_rows: list[dict[str, Any]] = []
    changed: list[Borrower] = []
    result: list[Borrower] = []
    phone_plan, email_plan, tp_plan = _ContactPointPlan(), _ContactPointPlan(), _ContactPointPlan()
    changed_fields: set[str] = set()  # only the columns some row changed go into the UPDATE

    for row in borrowers:
        borrower = existing.get(row["external_id"])
        if borrower is None:
            borrower = Borrower(
                platform=platform,
                external_id=row["external_id"],
                full_name=row["full_name"],
                region=row["region"],
                timezone=row.get("timezone") or "",
                date_of_birth=row.get("date_of_birth"),
                language=row.get("language") or "en",
                address=row.get("address") or "",
                vulnerabilities=list(row.get("vulnerabilities") or []),
            )
            borrower.set_national_id(row.get("national_id"))
            new_borrowers.append(borrower)
            new_rows.append(row)
            result.append(borrower)
            continue
        dirty = False
        for f in SIMPLE_FIELDS:
            if f not in row:
                continue
            value = list(row[f]) if f == "vulnerabilities" else row[f]
            if value is None and f != "date_of_birth":
                continue
            if getattr(borrower, f) != value:
                setattr(borrower, f, value)
                changed_fields.add(f)
                dirty = True
        if "national_id" in row and _national_id_changes(borrower, row["national_id"]):
            changed_fields.update(("national_id_encrypted", "national_id_last4"))
            dirty = True
        if row.get("phones") is not None and _plan_phones(borrower, phones[borrower.pk], row["phones"], phone_plan):
            dirty = True
        if row.get("emails") is not None and _plan_emails(borrower, emails[borrower.pk], row["emails"], email_plan):
            dirty = True
        if row.get("third_parties") is not None and _plan_third_parties(
            borrower, third_parties[borrower.pk], row["third_parties"], tp_plan, protected
        ):
            dirty = True
        if dirty:
            borrower.updated_at = now
            changed.append(borrower)
        result.append(borrower)

    try:
        with transaction.atomic():
            if new_borrowers:
                bulk_create_with_history(new_borrowers, Borrower, batch_size=BULK_BATCH)
                _attach_ids(new_borrowers, platform)
                for borrower, row in zip(new_borrowers, new_rows, strict=True):
                    _plan_phones(borrower, [], row.get("phones") or (), phone_plan)
                    _plan_emails(borrower, [], row.get("emails") or (), email_plan)
                    _plan_third_parties(borrower, [], row.get("third_parties") or (), tp_plan, set())
    except IntegrityError:
        raise BorrowersConflict()
    if changed:
        bulk_update_with_history(changed, Borrower, [*sorted(changed_fields), "updated_at"], batch_size=UPDATE_BATCH)
    for model, plan, attrs in (
        (Phone, phone_plan, PHONE_ATTRS),
        (Email, email_plan, EMAIL_ATTRS),
        (ThirdParty, tp_plan, THIRD_PARTY_ATTRS),
    ):
        if plan.delete:  # a queryset delete still sends post_delete per row: simple-history records "-" rows
            model.objects.filter(pk__in=plan.delete).delete()
        if plan.update:
            bulk_update_with_history(plan.update, model, list(attrs), batch_size=UPDATE_BATCH)
        if plan.create:
            for obj in plan.create:
                obj.borrower_id = obj.borrower.pk  # set after the new borrowers got their ids
            bulk_create_with_history(plan.create, model, batch_size=BULK_BATCH)
    if phone_plan.create:
        with_new_phone = {p.borrower_id for p in phone_plan.create}
        borrowers_clear_lost_contact(borrowers=[b for b in result if b.pk in with_new_phone])
    return BorrowerUpsertResult(borrowers=result, created=len(new_borrowers), updated=len(result) - len(new_borrowers))


def _attach_ids(objs: list[Borrower], platform: Platform) -> None:
    """Backends that do not return ids from a bulk insert: look them up by external id."""
    missing = [b for b in objs if b.pk is None]
    if not missing:
        return
    ids = dict(
        Borrower.objects.filter(platform=platform, external_id__in=[b.external_id for b in missing]).values_list(
            "external_id", "id"
        )
    )
    for b in missing:
        b.pk = ids[b.external_id]
