"""The tamper-evident evidence chain over compliance decisions and contacts.

Each borrower has one chain. A link stores the SHA-256 of a record's canonical content (sorted-key
JSON of its immutable fields, times in ISO UTC, decimals as strings) and a chain hash over the
previous link's chain hash and its own content, so editing a record, editing a link or removing
either breaks the chain at a point `verify_borrower` can name.

A contact gets two kinds of links: `contact` over the fields fixed when it is written, and
`contact_outcome` over the outcome fields, appended when the outcome is recorded (the one legitimate
change the append-only log allows). Only the latest outcome link of a contact is compared with the
live row; earlier ones are checked for chain integrity only.

The bytes that reached a borrower are covered through the decision that allowed them: the gate stores
`message_digest`, the SHA-256 of the rendered text it judged (subject and body), and the decision is on
the chain; verification recomputes that digest from every outbound message the decision (or its
contact's decision) sent and reports the message as altered when they differ, so an UPDATE of a sent
body, or of the message's link to its decision, is caught.

Documents (agreement PDFs, letters) are covered by `document` links over an EvidenceDocument: the
SHA-256 and size of the document's bytes when it was produced or sent; verification reads the bytes
again from where their app keeps them (a text field of a row, or the exact stored file) and reports
the document as altered when they differ, removed when they are gone.

Signed checkpoints (compliance.checkpoint) publish the chain heads under the operator's Ed25519 key.

What this does not give: an attacker with database write access can rewrite a whole chain
consistently. The per-borrower heads are the anchor to publish elsewhere (`chain_fingerprint`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from borrowers.locks import borrower_lock_is_held
from borrowers.models import Borrower
from contacts.models import ContactAttempt
from core import rawsql

from .models import GENESIS_HASH, Decision, Erasure, EvidenceDocument, EvidenceHead, EvidenceKind, EvidenceLink

DECISION_FIELDS: tuple[str, ...] = (
    "id",
    "platform_id",
    "borrower_id",
    "loan_id",
    "case_id",
    "channel",
    "party",
    "third_party_id",
    "to",
    "message_digest",
    "actor_kind",
    "actor_user_id",
    "actor_platform_id",
    "at",
    "dry_run",
    "allowed",
    "results",
    "reasons",
    "facts",
    "rule_pack",
    "pack_versions",
    "next_allowed_at",
    "evaluated_at",
    "override_of_id",
    "override_reason",
)
CONTACT_FIELDS: tuple[str, ...] = (
    "id",
    "platform_id",
    "borrower_id",
    "loan_id",
    "case_id",
    "channel",
    "direction",
    "party",
    "third_party_id",
    "to",
    "at",
    "message",
    "autodialed",
    "consented",
    "collectors",
    "at_work",
    "actor_kind",
    "actor_user_id",
    "actor_platform_id",
    "decision_id",
    "created_at",
)
# The fields record_outcome() may fill in once, after the contact was written pending.
OUTCOME_FIELDS: tuple[str, ...] = ("id", "outcome", "outcome_at", "duration_s", "notes")

# An erasure (compliance.lifecycle): which records it changed, with their content hashes before and after.
ERASURE_FIELDS: tuple[str, ...] = (
    "id",
    "borrower_id",
    "reason",
    "status",
    "legal_basis",
    "refused_because",
    "requested_by_id",
    "requested_at",
    "performed_at",
    "records",
    "erased",
)

DOCUMENT_FIELDS: tuple[str, ...] = (
    "id",
    "borrower_id",
    "kind",
    "source",
    "source_id",
    "source_field",
    "storage_name",
    "sha256",
    "size",
    "decision_id",
    "created_at",
)

EvidenceModel = type[Decision] | type[ContactAttempt] | type[Erasure] | type[EvidenceDocument]

KIND_FIELDS: dict[str, tuple[EvidenceModel, tuple[str, ...]]] = {
    EvidenceKind.DECISION: (Decision, DECISION_FIELDS),
    EvidenceKind.CONTACT: (ContactAttempt, CONTACT_FIELDS),
    EvidenceKind.CONTACT_OUTCOME: (ContactAttempt, OUTCOME_FIELDS),
    EvidenceKind.ERASURE: (Erasure, ERASURE_FIELDS),
    EvidenceKind.DOCUMENT: (EvidenceDocument, DOCUMENT_FIELDS),
}


# --- hashing ---------------------------------------------------------------------------------------------


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class CanonicalText(str):
    """A value of a row already written as canonical JSON (`canonical_dumps`): the gate serialises a
    decision's facts once, for the row it writes and for the hash of its evidence link."""


def canonical_dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical_json(row: dict[str, Any]) -> str:
    if not any(isinstance(v, CanonicalText) for v in row.values()):
        return canonical_dumps({k: _canonical_value(v) for k, v in row.items()})
    # What json.dumps(sort_keys=True) writes for the whole row, with the pre-written values spliced in.
    return (
        "{"
        + ",".join(
            f"{canonical_dumps(k)}:{v if isinstance(v, CanonicalText) else canonical_dumps(_canonical_value(v))}"
            for k, v in sorted(row.items())
        )
        + "}"
    )


def content_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(row).encode()).hexdigest()


def chain_hash(*, prev_hash: str, seq: int, kind: str, object_id: int, content: str) -> str:
    material = f"{prev_hash}|{seq}|{kind}|{object_id}|{content}"
    return hashlib.sha256(material.encode()).hexdigest()


def outcome_is_empty(row: dict[str, Any]) -> bool:
    return not any(row[f] for f in OUTCOME_FIELDS if f != "id")


def _load_row(kind: str, object_id: int) -> dict[str, Any] | None:
    # Hash what the database holds, not the in-memory instance: verification reads rows back from
    # the database, and values may round-trip differently (JSON numbers, time zones).
    model, fields = KIND_FIELDS[kind]
    return model.objects.filter(pk=object_id).values(*fields).first()


# --- appending ------------------------------------------------------------------------------------------


def append_link(*, borrower_id: int, kind: str, object_id: int, row: dict[str, Any] | None = None) -> EvidenceLink:
    """Append a link for one record to its borrower's chain.

    Takes the borrower's row lock so that writers outside the gate cannot interleave two appends to one
    chain; the savepoint makes the lock legal for callers in autocommit mode too. Callers that already
    hold the lock in their transaction (the gate, inside `borrower_lock_held`) skip both.
    """
    if borrower_lock_is_held(borrower_id):
        return _append_locked(borrower_id=borrower_id, kind=kind, object_id=object_id, row=row)
    with transaction.atomic():
        list(Borrower.objects.select_for_update().filter(pk=borrower_id).values_list("pk", flat=True))
        return _append_locked(borrower_id=borrower_id, kind=kind, object_id=object_id, row=row)


def _append_locked(*, borrower_id: int, kind: str, object_id: int, row: dict[str, Any] | None) -> EvidenceLink:
    if row is None:
        row = _load_row(kind, object_id)
        if row is None:
            raise ValueError(f"{kind} {object_id} does not exist")
    return append_rows_locked(borrower_id, [(kind, object_id, row)])[0]


_READ = object()


def append_rows_locked(
    borrower_id: int, items: list[tuple[str, int, dict[str, Any]]], *, head: Any = _READ
) -> list[EvidenceLink]:
    """Append links for records whose rows the caller gives, in order, to the borrower's chain.

    The caller holds the borrower's row lock in its open transaction (see `borrower_lock_held`). Plain
    statements whatever the number of links (head, links, head upsert): see core.rawsql for why not
    the ORM. `head`: (seq, chain_hash) or None as the caller read it under the same lock, to save the first.
    """
    if head is _READ:
        head = rawsql.fetch_one(
            f"SELECT seq, chain_hash FROM {rawsql.table(EvidenceHead)} WHERE borrower_id = %s",  # noqa: S608
            [borrower_id],
        )
    links = chain_links(borrower_id, items, head=head)
    rawsql.insert(*links)
    with connection.cursor() as cursor:
        cursor.execute(*head_upsert(links[-1]))
    return links


def chain_links(
    borrower_id: int, items: list[tuple[str, int, dict[str, Any]]], *, head: tuple[int, str] | None
) -> list[EvidenceLink]:
    """The links (not yet written) that append `items` to a chain whose head is `head`."""
    seq, prev = head if head else (0, GENESIS_HASH)
    links = []
    for kind, object_id, row in items:
        seq += 1
        digest = content_hash(row)
        chained = chain_hash(prev_hash=prev, seq=seq, kind=kind, object_id=object_id, content=digest)
        links.append(
            EvidenceLink(
                borrower_id=borrower_id,
                seq=seq,
                kind=kind,
                object_id=object_id,
                content_hash=digest,
                prev_hash=prev,
                chain_hash=chained,
            )
        )
        prev = chained
    return links


def head_upsert(*lasts: EvidenceLink) -> tuple[str, list[Any]]:
    """The statement that moves each chain's head to its last link (creating it for a first link); one
    link per borrower."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = []
    for last in lasts:
        params += [last.borrower_id, last.seq, last.chain_hash, now]
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(lasts))
    return (
        f"INSERT INTO {rawsql.table(EvidenceHead)} (borrower_id, seq, chain_hash, updated_at) "  # noqa: S608
        f"VALUES {rows} ON CONFLICT (borrower_id) "
        "DO UPDATE SET seq = excluded.seq, chain_hash = excluded.chain_hash, updated_at = excluded.updated_at",
        params,
    )


def record_row(kind: str, obj: models.Model, *, written: dict[str, CanonicalText] | None = None) -> dict[str, Any]:
    """The row `_load_row` would read back for an instance just written with all its fields in memory.

    JSON values go through a JSON round trip, as they do through the database, so the hash is the one
    verification computes from the stored row. `written`: JSON values the caller already serialised
    canonically, from values that round-trip unchanged (string keys, JSON types).
    """
    model, fields = KIND_FIELDS[kind]
    row = {}
    for name in fields:
        if written and name in written:
            row[name] = written[name]
            continue
        value = getattr(obj, name)
        if isinstance(model._meta.get_field(name), models.JSONField):
            value = json.loads(json.dumps(value))
        row[name] = value
    return row


def link_decision(decision: Decision) -> EvidenceLink:
    return append_link(borrower_id=decision.borrower_id, kind=EvidenceKind.DECISION, object_id=decision.pk)


def link_contact(contact: ContactAttempt, *, just_created: bool = False) -> list[EvidenceLink]:
    """The contact's creation link, plus an outcome link when it was written with an outcome (inbound).

    `just_created`: the instance is the one create() has just saved (the post_save signal), so its
    fields are exactly what was written; a brand-new contact with empty outcome fields has nothing
    to link (no earlier outcome link can exist for it), and the outcome look-up is skipped.
    """
    links = [append_link(borrower_id=contact.borrower_id, kind=EvidenceKind.CONTACT, object_id=contact.pk)]
    if just_created and not any(getattr(contact, f) for f in OUTCOME_FIELDS if f != "id"):
        return links
    outcome_link = link_contact_outcome(contact)
    if outcome_link is not None:
        links.append(outcome_link)
    return links


def link_contact_outcome(contact: ContactAttempt) -> EvidenceLink | None:
    """Append an outcome link if the outcome fields differ from what the chain last recorded."""
    row = _load_row(EvidenceKind.CONTACT_OUTCOME, contact.pk)
    if row is None:
        return None
    last = (
        EvidenceLink.objects.filter(kind=EvidenceKind.CONTACT_OUTCOME, object_id=contact.pk)
        .order_by("-seq")
        .values_list("content_hash", flat=True)
        .first()
    )
    if last is None and outcome_is_empty(row):
        return None
    if last == content_hash(row):
        return None
    return append_link(
        borrower_id=contact.borrower_id, kind=EvidenceKind.CONTACT_OUTCOME, object_id=contact.pk, row=row
    )


# --- documents ------------------------------------------------------------------------------------------


def _source_field(source: str, field_name: str) -> models.Field:
    return apps.get_model(source)._meta.get_field(field_name)


def document_bytes(*, source: str, source_id: int, source_field: str, storage_name: str) -> bytes | None:
    """The bytes a document record names, read from where its app keeps them; None when they are gone.

    By name (app_label.Model), not by import: the apps that produce documents sit above this one."""
    field = _source_field(source, source_field)
    if isinstance(field, models.FileField):
        try:
            with field.storage.open(storage_name, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, OSError):
            return None
    value = apps.get_model(source)._default_manager.filter(pk=source_id).values_list(source_field, flat=True).first()
    if value is None:
        return None
    return value if isinstance(value, bytes) else str(value).encode()


def link_document(
    *, borrower_id: int, kind: str, instance: models.Model, field: str, decision_id: int | None = None
) -> EvidenceDocument:
    """Hash a document as it is produced or sent and link the digest into the borrower's chain.

    `instance.<field>` is a text field (a letter's body) or a file field (an agreement PDF), read as
    stored now: call it after the document was saved."""
    source = instance._meta.label
    model_field = instance._meta.get_field(field)
    storage_name = getattr(instance, field).name if isinstance(model_field, models.FileField) else ""
    data = document_bytes(source=source, source_id=instance.pk, source_field=field, storage_name=storage_name)
    if data is None:
        raise ValueError(f"{source} {instance.pk}: {field} has nothing stored to hash")
    with transaction.atomic():
        document = EvidenceDocument.objects.create(
            borrower_id=borrower_id,
            kind=kind,
            source=source,
            source_id=instance.pk,
            source_field=field,
            storage_name=storage_name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            decision_id=decision_id,
        )
        append_link(borrower_id=borrower_id, kind=EvidenceKind.DOCUMENT, object_id=document.pk)
    return document


def _document_failure(borrower_id: int, documents: dict[int, dict[str, Any]]) -> Failure | None:
    """The first document of the borrower whose stored bytes no longer match the digest recorded."""
    for object_id, row in sorted(documents.items()):
        data = document_bytes(
            source=row["source"],
            source_id=row["source_id"],
            source_field=row["source_field"],
            storage_name=row["storage_name"],
        )
        where = f"{row['source']} {row['source_id']} {row['source_field']}"
        if data is None:
            return Failure(
                borrower_id=borrower_id,
                problem=Problem.REMOVED,
                kind=EvidenceKind.DOCUMENT,
                object_id=object_id,
                seq=None,
                detail=f"the document ({where}) is no longer stored",
            )
        if len(data) != row["size"] or hashlib.sha256(data).hexdigest() != row["sha256"]:
            return Failure(
                borrower_id=borrower_id,
                problem=Problem.ALTERED,
                kind=EvidenceKind.DOCUMENT,
                object_id=object_id,
                seq=None,
                detail=f"the document ({where}) no longer matches the digest recorded when it was produced or sent",
            )
    return None


def backfill(*, borrower_ids: Iterable[int] | None = None) -> int:
    """Link records written before the chain existed (or by bulk_create, which sends no signals).

    Records are linked in the order they were written; returns how many links were appended.
    """
    linked_decisions = EvidenceLink.objects.filter(kind=EvidenceKind.DECISION).values("object_id")
    linked_contacts = EvidenceLink.objects.filter(kind=EvidenceKind.CONTACT).values("object_id")
    decisions = Decision.objects.exclude(pk__in=linked_decisions)
    contacts = ContactAttempt.objects.exclude(pk__in=linked_contacts)
    if borrower_ids is not None:
        ids = list(borrower_ids)
        decisions = decisions.filter(borrower_id__in=ids)
        contacts = contacts.filter(borrower_id__in=ids)
    # A decision precedes the contact it allowed, as in the gate: order by time, decisions first.
    pending: list[tuple[dt.datetime, int, int, Decision | ContactAttempt]] = [
        (d.evaluated_at, 0, d.pk, d) for d in decisions.only("id", "borrower_id", "evaluated_at")
    ]
    pending += [(c.created_at, 1, c.pk, c) for c in contacts.only("id", "borrower_id", "created_at")]
    count = 0
    for *_key, obj in sorted(pending, key=lambda p: p[:3]):
        if isinstance(obj, Decision):
            link_decision(obj)
            count += 1
        else:
            count += len(link_contact(obj))
    return count


# --- verification ----------------------------------------------------------------------------------------


class Problem:
    ALTERED = "altered"  # the record's content no longer matches its link
    REMOVED = "removed"  # the record a link points at is gone
    LINK_ALTERED = "link_altered"  # a link's own hashes were edited
    LINK_MISSING = "link_missing"  # a link was deleted from the middle or the end of the chain
    UNLINKED = "unlinked"  # a record exists with no link (written around the application)


@dataclass
class Failure:
    borrower_id: int
    problem: str
    kind: str
    object_id: int | None
    seq: int | None
    detail: str

    def describe(self) -> str:
        what = f"{self.kind} {self.object_id}" if self.object_id is not None else self.kind
        where = f" (link #{self.seq})" if self.seq is not None else ""
        return f"borrower {self.borrower_id}: {what}{where} {self.problem}: {self.detail}"


@dataclass
class Report:
    borrowers_checked: int = 0
    links_checked: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def failures_as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(f) | {"text": f.describe()} for f in self.failures]


def _rows(model: EvidenceModel, fields: tuple[str, ...], borrower_id: int) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in model.objects.filter(borrower_id=borrower_id).values(*fields)}


OUTBOUND_MESSAGE = "outbound_message"


def message_digest(*, subject: str, body: str) -> str:
    """The digest the gate records for a rendered message (compliance.services: `message_digest`)."""
    text = f"{subject}\n{body}".strip()
    return hashlib.sha256(text.encode()).hexdigest() if text else ""


def _message_failure(borrower_id: int) -> Failure | None:
    """The first outbound message to the borrower whose text no longer matches the digest its decision
    recorded, or whose decision is no longer its contact's. Two queries, through the decisions' and
    contacts' reverse relations (the messages' app sits above this one)."""
    rows = list(
        Decision.objects.filter(borrower_id=borrower_id, messages__isnull=False)
        .order_by("messages__id")
        .values(
            "id",
            "message_digest",
            "messages__id",
            "messages__subject",
            "messages__body",
            "messages__contact__decision_id",
        )
    )
    detached = (
        ContactAttempt.objects.filter(borrower_id=borrower_id, messages__isnull=False, messages__decision__isnull=True)
        .order_by("messages__id")
        .values_list("messages__id", flat=True)
        .first()
    )
    for row in rows:
        digest = message_digest(subject=row["messages__subject"], body=row["messages__body"])
        contact_decision = row["messages__contact__decision_id"]
        if digest != row["message_digest"] or contact_decision not in (None, row["id"]):
            return Failure(
                borrower_id=borrower_id,
                problem=Problem.ALTERED,
                kind=OUTBOUND_MESSAGE,
                object_id=row["messages__id"],
                seq=None,
                detail="the message's text no longer matches the digest its decision recorded",
            )
    if detached is not None:
        return Failure(
            borrower_id=borrower_id,
            problem=Problem.ALTERED,
            kind=OUTBOUND_MESSAGE,
            object_id=detached,
            seq=None,
            detail="the message was detached from the decision that allowed it",
        )
    return None


def verify_borrower(borrower_id: int) -> tuple[Failure | None, int]:
    """Walk one borrower's chain; return the first failure (or None) and the number of links read.

    A constant eight queries per borrower whatever the chain's length (the links, the head, the live
    rows of each kind, the outbound messages through decisions and contacts), plus one read per document.
    """
    links = list(EvidenceLink.objects.filter(borrower_id=borrower_id).order_by("seq"))
    head = EvidenceHead.objects.filter(borrower_id=borrower_id).first()
    decisions = _rows(Decision, DECISION_FIELDS, borrower_id)
    contacts = _rows(ContactAttempt, CONTACT_FIELDS, borrower_id)
    outcomes = {
        row["id"]: row for row in ContactAttempt.objects.filter(borrower_id=borrower_id).values(*OUTCOME_FIELDS)
    }
    erasures = _rows(Erasure, ERASURE_FIELDS, borrower_id)
    documents = _rows(EvidenceDocument, DOCUMENT_FIELDS, borrower_id)
    live: dict[str, dict[int, dict[str, Any]]] = {
        EvidenceKind.DECISION: decisions,
        EvidenceKind.CONTACT: contacts,
        EvidenceKind.CONTACT_OUTCOME: outcomes,
        EvidenceKind.ERASURE: erasures,
        EvidenceKind.DOCUMENT: documents,
    }
    last_outcome_seq = {link.object_id: link.seq for link in links if link.kind == EvidenceKind.CONTACT_OUTCOME}
    erased = _erasure_changes(links, erasures)

    def fail(problem: str, link: EvidenceLink | None, detail: str, kind: str = "", object_id: int | None = None):
        return Failure(
            borrower_id=borrower_id,
            problem=problem,
            kind=link.kind if link else kind,
            object_id=link.object_id if link else object_id,
            seq=link.seq if link else None,
            detail=detail,
        )

    prev = GENESIS_HASH
    for expected_seq, link in enumerate(links, start=1):
        if link.seq != expected_seq:
            return fail(Problem.LINK_MISSING, link, f"links #{expected_seq}-#{link.seq - 1} are missing"), len(links)
        if link.prev_hash != prev:
            return fail(Problem.LINK_MISSING, link, "the previous link was replaced or removed"), len(links)
        expected = chain_hash(
            prev_hash=link.prev_hash, seq=link.seq, kind=link.kind, object_id=link.object_id, content=link.content_hash
        )
        if link.chain_hash != expected:
            return fail(Problem.LINK_ALTERED, link, "the link's hashes were edited"), len(links)
        prev = link.chain_hash
        row = live[link.kind].get(link.object_id)
        if row is None:
            return fail(Problem.REMOVED, link, "the record no longer exists"), len(links)
        if link.kind == EvidenceKind.CONTACT_OUTCOME and last_outcome_seq[link.object_id] != link.seq:
            continue  # superseded by a later outcome link; only the chain is checked
        if content_hash(row) != _expected_hash(link, erased):
            return fail(Problem.ALTERED, link, "the record's content changed after it was written"), len(links)

    if head is None and links or head is not None and (head.seq != len(links) or head.chain_hash != prev):
        return fail(
            Problem.LINK_MISSING, None, "the chain ends before its recorded head", kind="chain", object_id=None
        ), len(links)

    linked = {(link.kind, link.object_id) for link in links}
    for kind, rows in (
        (EvidenceKind.DECISION, decisions),
        (EvidenceKind.CONTACT, contacts),
        (EvidenceKind.ERASURE, erasures),
        (EvidenceKind.DOCUMENT, documents),
    ):
        for object_id in sorted(rows):
            if (kind, object_id) not in linked:
                return fail(Problem.UNLINKED, None, "no link: written around the application", kind, object_id), len(
                    links
                )
    # A pending contact with no outcome link must still have empty outcome fields.
    with_outcome_link = {link.object_id for link in links if link.kind == EvidenceKind.CONTACT_OUTCOME}
    for object_id, row in sorted(outcomes.items()):
        if object_id not in with_outcome_link and not outcome_is_empty(row):
            return fail(
                Problem.ALTERED, None, "an outcome was written without a link", EvidenceKind.CONTACT_OUTCOME, object_id
            ), len(links)
    return _message_failure(borrower_id) or _document_failure(borrower_id, documents), len(links)


def _erasure_changes(
    links: list[EvidenceLink], erasures: dict[int, dict[str, Any]]
) -> dict[tuple[str, int], list[tuple[int, str, str]]]:
    """(kind, object id) → the changes erasures linked into this chain made to it: (erasure's seq, content
    hash before, after). Only an erasure whose own row still matches its link counts (a forged or edited
    erasure is reported as altered when the walk reaches it)."""
    out: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    for link in links:
        if link.kind != EvidenceKind.ERASURE:
            continue
        row = erasures.get(link.object_id)
        if row is None or content_hash(row) != link.content_hash:
            continue
        for change in row["records"] or []:
            key = (change["kind"], int(change["object_id"]))
            out.setdefault(key, []).append((link.seq, change["before"], change["after"]))
    return out


def _expected_hash(link: EvidenceLink, erased: dict[tuple[str, int], list[tuple[int, str, str]]]) -> str:
    """The content hash the record of a link should have now: the linked one, carried through every later
    erasure in the chain that changed exactly that content."""
    expected = link.content_hash
    for seq, before, after in sorted(erased.get((link.kind, link.object_id), [])):
        if seq > link.seq and expected == before:
            expected = after
    return expected


def chained_borrower_ids() -> models.QuerySet:
    """Every borrower with a chain or with records that should be on one."""
    return (
        Borrower.objects.filter(
            models.Q(evidence_head__isnull=False)
            | models.Exists(Decision.objects.filter(borrower=models.OuterRef("pk")))
            | models.Exists(ContactAttempt.objects.filter(borrower=models.OuterRef("pk")))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def verify(*, borrower_ids: Iterable[int] | None = None) -> Report:
    """Verify the chains of the given borrowers (default: all); one failure reported per borrower."""
    report = Report()
    ids = chained_borrower_ids() if borrower_ids is None else borrower_ids
    for borrower_id in ids:
        failure, count = verify_borrower(borrower_id)
        report.borrowers_checked += 1
        report.links_checked += count
        if failure is not None:
            report.failures.append(failure)
    return report


def recent_borrower_ids(limit: int) -> list[int]:
    """The borrowers whose chains grew most recently: what the evidence page checks by default."""
    return list(EvidenceHead.objects.order_by("-updated_at").values_list("borrower_id", flat=True)[:limit])


def chain_fingerprint() -> tuple[int, str]:
    """One SHA-256 over every borrower's head: publish it (e.g. to the lender daily) to anchor the chains."""
    digest = hashlib.sha256()
    count = 0
    for borrower_id, seq, head in EvidenceHead.objects.order_by("borrower_id").values_list(
        "borrower_id", "seq", "chain_hash"
    ):
        digest.update(f"{borrower_id}:{seq}:{head}\n".encode())
        count += 1
    return count, digest.hexdigest()
