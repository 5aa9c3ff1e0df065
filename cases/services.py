"""Write paths for loans (single and bulk upsert) and payments (recording and allocation)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Platform
from borrowers.models import Borrower
from core import rawsql

from .delinquency import fresh_loan_figures, refresh_delinquency
from .events import case_event_record
from .models import ZERO, Case, CaseEvent, CaseStatus, Installment, Loan, Payment, PaymentAllocation
from .signals import payment_recorded

LOAN_FIELDS = ("product", "currency", "principal", "annual_rate", "disbursed_on", "statute_limitations_date")
INSTALLMENT_FIELDS = ("due_date", "principal_due", "interest_due", "fee_due")


def _refresh_delinquency(loan_ids: list[int]) -> None:
    """Recompute outstanding/overdue/DPD/stage and open, close or re-stage the loans' cases."""

    refresh_delinquency(loan_ids=loan_ids)


def _insert_with_history(model, objs: list, *, batch_size: int = 5000) -> None:
    """Insert new instances and their "+" history rows; sets each object's pk (see _insert_rows)."""
    if not objs:
        return
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        bulk_create_with_history(objs, model, batch_size=batch_size)
        return
    now = timezone.now()
    for name in _auto_now_fields(model):  # as save() would set them, on the instances too
        for obj in objs:
            setattr(obj, name, now)
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = _insert_rows(model, [{name: getattr(obj, name) for name in fields} for obj in objs], now=now)
    for obj, new_id in zip(objs, ids, strict=True):
        rawsql.saved(obj, new_id)


def _auto_now_fields(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]


def _insert_rows(
    model, rows: list[dict[str, Any]], *, now: dt.datetime | None = None, batch_size: int = 5000
) -> list[int]:
    """Insert new rows (attname -> value; a missing field takes its default) and their "+" history
    rows; returns the new ids in order.

    On PostgreSQL the rows go in by COPY with ids drawn from the table's sequence first, and no model
    instance is built: the ORM's bulk_create spends most of its time preparing each value in Python,
    and building 60,000 installment instances alone was a quarter of a 10,000-loan upload. Elsewhere
    (SQLite) simple-history's bulk_create_with_history.
    """
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        bulk_create_with_history(objs, model, batch_size=batch_size)
        return [obj.pk for obj in objs]
    now = now or timezone.now()
    history_model = model.history.model
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # auto_now / auto_now_add as save() would set them; the declared default for anything not given.
    auto = set(_auto_now_fields(model))
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in auto}
    history_fields = [f for f in history_model._meta.concrete_fields if not f.primary_key]
    history_extra = {
        "history_date": now,
        "history_change_reason": None,
        "history_type": "+",
        "history_user_id": user_id,
    }
    names = [f.attname for f in fields]
    with connection.wrap_database_errors, connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(rows)],
        )
        ids = [new_id for (new_id,) in raw.fetchall()]
        values = [[now if name in auto else row.get(name, defaults[name]) for name in names] for row in rows]
        columns = ", ".join(connection.ops.quote_name(c) for c in [pk.column, *(f.column for f in fields)])
        with raw.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for new_id, row_values in zip(ids, values, strict=True):
                copy.write_row([new_id, *row_values])
        # The history table repeats the model's columns (id included) and adds its own.
        position = {name: i for i, name in enumerate(names)}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in history_fields)
        table = connection.ops.quote_name(history_model._meta.db_table)
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for new_id, row_values in zip(ids, values, strict=True):
                copy.write_row(
                    [
                        new_id
                        if f.attname == pk.attname
                        else history_extra[f.attname]
                        if f.attname in history_extra
                        else row_values[position[f.attname]]
                        for f in history_fields
                    ]
                )
    return ids


def _texts(values) -> Any:
    """The right-hand side of `__in` for thousands of strings: on PostgreSQL one array parameter
    (`IN (SELECT unnest(%s))`) instead of 10,000 placeholders, which psycopg's client-side binding
    spent ~0.2 s of a 10,000-loan upload splicing into the SQL; elsewhere the list itself."""
    values = list(values)
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return values
    return RawSQL("SELECT unnest(%s::text[])", [values])


# --- loans ---------------------------------------------------------------------------------------------


class LoanRowsInvalid(Exception):
    """Some rows of an upsert are invalid; `errors` maps the row index to `{field: [messages]}`."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class LoanUpsertResult:
    loans: list[Loan] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def _installment_is_touched(inst: Installment) -> bool:
    return bool(inst.principal_paid or inst.interest_paid or inst.fee_paid or inst.waived)


def _plan_installments(
    loan: Loan, existing: list[Installment], wanted: Sequence[dict[str, Any]]
) -> tuple[list[Installment], list[Installment], list[int], str | None]:
    """Diff a loan's schedule: (to create, to update, ids to delete, error).

    A schedule may be replaced freely except for installments that payments or waivers already
    touched: those must come back unchanged, or the paid amounts would no longer add up.
    """
    by_seq = {i.seq: i for i in existing}
    create: list[Installment] = []
    update: list[Installment] = []
    for item in wanted:
        inst = by_seq.pop(item["seq"], None)
        if inst is None:
            create.append(Installment(loan=loan, seq=item["seq"], **{f: item[f] for f in INSTALLMENT_FIELDS}))
            continue
        if all(getattr(inst, f) == item[f] for f in INSTALLMENT_FIELDS):
            continue
        if _installment_is_touched(inst):
            return (
                [],
                [],
                [],
                _("Installment %(seq)s already has payments allocated; it cannot be changed.") % {"seq": inst.seq},
            )
        for f in INSTALLMENT_FIELDS:
            setattr(inst, f, item[f])
        update.append(inst)
    for inst in by_seq.values():
        if _installment_is_touched(inst):
            return (
                [],
                [],
                [],
                _("Installment %(seq)s already has payments allocated; it cannot be removed.") % {"seq": inst.seq},
            )
    return create, update, [i.pk for i in by_seq.values()], None


@transaction.atomic
def loans_bulk_upsert(*, platform: Platform, loans: Sequence[dict[str, Any]]) -> LoanUpsertResult:
    """Create or update loans with their schedules, all or nothing, with set-based writes.

    `loans` are validated rows (LoanInputSerializer): `borrower` is the borrower's external_id.
    Raises LoanRowsInvalid (nothing written) when a row refers to something unknown or breaks a rule.
    """
    errors: dict[int, dict[str, list[str]]] = defaultdict(dict)

    first_row: dict[str, int] = {}
    for i, row in enumerate(loans):
        if row["external_id"] in first_row:
            errors[i]["external_id"] = [
                _("This external id is repeated in the request (row %(row)s).") % {"row": first_row[row["external_id"]]}
            ]
        else:
            first_row[row["external_id"]] = i

    borrower_ids = dict(
        Borrower.objects.filter(platform=platform, external_id__in=_texts({r["borrower"] for r in loans})).values_list(
            "external_id", "id"
        )
    )
    # Lock the loans being updated: two uploads of the same loan apply one after the other.
    existing = {
        loan.external_id: loan
        for loan in Loan.objects.select_for_update().filter(platform=platform, external_id__in=_texts(first_row))
    }
    schedules: dict[int, list[Installment]] = defaultdict(list)
    for inst in Installment.objects.filter(loan__in=[loan.pk for loan in existing.values()]).order_by("seq"):
        schedules[inst.loan_id].append(inst)
    paid_loans = set(
        Payment.objects.filter(loan__in=[loan.pk for loan in existing.values()]).values_list("loan_id", flat=True)
    )

    new_loans: list[Loan] = []
    new_rows: list[dict[str, Any]] = []
    changed_loans: list[Loan] = []
    inst_create: list[Installment] = []
    inst_update: list[Installment] = []
    inst_delete: list[int] = []
    result_loans: list[Loan] = []
    # New loans get their figures at insert; only those that need a case go through the refresh.
    to_refresh: list[Loan] = []
    now = timezone.now()
    today = timezone.localdate()

    for i, row in enumerate(loans):
        if i in errors:
            continue
        borrower_id = borrower_ids.get(row["borrower"])
        if borrower_id is None:
            errors[i]["borrower"] = [_("Unknown borrower external id %(id)s.") % {"id": row["borrower"]}]
            continue
        attrs = {f: row.get(f) for f in LOAN_FIELDS}
        loan = existing.get(row["external_id"])
        if loan is None:
            figures, needs_case = fresh_loan_figures(row["installments"], today)
            loan = Loan(platform=platform, borrower_id=borrower_id, external_id=row["external_id"], **attrs, **figures)
            if needs_case:
                to_refresh.append(loan)
            new_loans.append(loan)
            new_rows.append(row)
            result_loans.append(loan)
            continue
        if loan.borrower_id != borrower_id:
            errors[i]["borrower"] = [_("A loan cannot move to another borrower.")]
            continue
        if loan.currency != attrs["currency"] and loan.pk in paid_loans:
            errors[i]["currency"] = [_("The loan has payments; its currency cannot change.")]
            continue
        create, update, delete, error = _plan_installments(loan, schedules[loan.pk], row["installments"])
        if error:
            errors[i]["installments"] = [error]
            continue
        to_refresh.append(loan)
        if any(getattr(loan, f) != v for f, v in attrs.items()) or create or update or delete:
            for f, v in attrs.items():
                setattr(loan, f, v)
            loan.updated_at = now
            changed_loans.append(loan)
        inst_create += create
        inst_update += update
        inst_delete += delete
        result_loans.append(loan)

    if errors:
        raise LoanRowsInvalid(dict(errors))

    new_schedules: list[dict[str, Any]] = []
    if new_loans:
        _insert_with_history(Loan, new_loans)
        # The new loans' schedules as plain rows (no instances: see _insert_rows).
        new_schedules = [
            {"loan_id": loan.pk, "seq": item["seq"], **{f: item[f] for f in INSTALLMENT_FIELDS}}
            for loan, row in zip(new_loans, new_rows, strict=True)
            for item in row["installments"]
        ]
    if changed_loans:
        bulk_update_with_history(changed_loans, Loan, [*LOAN_FIELDS, "updated_at"], batch_size=2000)
    if inst_delete:
        Installment.objects.filter(pk__in=inst_delete).delete()
    if inst_update:
        bulk_update_with_history(inst_update, Installment, list(INSTALLMENT_FIELDS), batch_size=2000)
    if inst_create:
        _insert_with_history(Installment, inst_create)
    _insert_rows(Installment, new_schedules)

    _refresh_delinquency([loan.pk for loan in to_refresh])
    return LoanUpsertResult(loans=result_loans, created=len(new_loans), updated=len(result_loans) - len(new_loans))


def loan_upsert(
    *,
    platform: Platform,
    external_id: str,
    borrower: str,
    currency: str,
    principal: Decimal,
    disbursed_on: dt.date,
    installments: Sequence[dict[str, Any]],
    product: str = "consumer_loan",
    annual_rate: Decimal | None = None,
    statute_limitations_date: dt.date | None = None,
) -> tuple[Loan, bool]:
    """Create the loan, or update it if its external id is known; returns (loan, created)."""
    row = {
        "external_id": external_id,
        "borrower": borrower,
        "product": product,
        "currency": currency,
        "principal": principal,
        "annual_rate": annual_rate,
        "disbursed_on": disbursed_on,
        "statute_limitations_date": statute_limitations_date,
        "installments": list(installments),
    }
    try:
        result = loans_bulk_upsert(platform=platform, loans=[row])
    except LoanRowsInvalid as exc:
        raise ValidationError(exc.errors[0])
    return result.loans[0], bool(result.created)


# --- payments ------------------------------------------------------------------------------------------


class PaymentExists(Exception):
    """A payment with this external id is already recorded (under another idempotency key)."""


@dataclass(frozen=True)
class Allocation:
    installment: Installment
    fee: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.interest + self.principal


def allocate(amount: Decimal, installments: Sequence[Installment]) -> tuple[list[Allocation], Decimal]:
    """Split `amount` over installments: oldest first, within each fees, then interest, then principal.

    Pure: returns the allocations and what is left over. An installment's waived amount reduces what
    it can take (from the principal end, the last component paid).
    """
    left = amount
    result: list[Allocation] = []
    for inst in sorted(installments, key=lambda i: (i.due_date, i.seq)):
        if left <= ZERO:
            break
        room = inst.remaining
        if room <= ZERO:
            continue
        parts = []
        for due, paid in (
            (inst.fee_due, inst.fee_paid),
            (inst.interest_due, inst.interest_paid),
            (inst.principal_due, inst.principal_paid),
        ):
            take = min(max(due - paid, ZERO), left, room)
            parts.append(take)
            left -= take
            room -= take
        if any(parts):
            result.append(Allocation(inst, *parts))
    return result, left


@transaction.atomic
def payment_record(
    *,
    platform: Platform,
    loan: Loan,
    external_id: str,
    amount: Decimal,
    paid_at: dt.datetime,
    method: str = "",
    currency: str | None = None,
) -> Payment:
    """Record a payment, allocate it to the loan's installments and refresh the loan's delinquency."""
    if amount <= ZERO:
        raise ValidationError({"amount": [_("The amount must be positive.")]})
    # Payments to one loan allocate one after the other, each seeing what the previous one paid.
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if currency is not None and currency != loan.currency:
        raise ValidationError(
            {"currency": [_("The loan is in %(currency)s; the payment must be too.") % {"currency": loan.currency}]}
        )
    if paid_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"paid_at": [_("A payment cannot lie in the future.")]})
    if Payment.objects.filter(platform=platform, external_id=external_id).exists():
        raise PaymentExists(external_id)

    installments = list(loan.installments.filter(paid_off_at__isnull=True))
    allocations, left = allocate(amount, installments)
    payment = Payment.objects.create(
        platform=platform,
        loan=loan,
        external_id=external_id,
        amount=amount,
        currency=loan.currency,
        paid_at=paid_at,
        method=method,
        unallocated=left,
    )
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(
            payment=payment, installment=a.installment, fee=a.fee, interest=a.interest, principal=a.principal
        )
        for a in allocations
    )
    touched = []
    for a in allocations:
        inst = a.installment
        inst.fee_paid += a.fee
        inst.interest_paid += a.interest
        inst.principal_paid += a.principal
        if inst.remaining <= ZERO:
            inst.paid_off_at = paid_at
        touched.append(inst)
    if touched:
        bulk_update_with_history(touched, Installment, ["fee_paid", "interest_paid", "principal_paid", "paid_off_at"])

    case = Case.objects.filter(loan=loan, status=CaseStatus.OPEN).first()
    if case is not None:
        case_event_record(
            case_id=case.pk,
            kind=CaseEvent.Kind.PAYMENT,
            new=f"{amount} {loan.currency}",
            data={"payment": payment.pk, "external_id": external_id, "paid_at": paid_at.isoformat()},
        )
    _refresh_delinquency([loan.pk])
    # In the same transaction, the apps above react (repayment_plans credits promises and plans,
    # outreach cancels the reminders the payment made obsolete): a payment is never on the ledger
    # without counting towards the promise it keeps, and no reminder goes out after the money arrived.
    payment_recorded.send(sender=Payment, payment=payment)
    return payment
