"""Write paths for loans (single and bulk upsert) and payments (recording and allocation)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import JSONField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Platform
from borrowers.models import Borrower
from core import rawsql

from . import bulkcopy
from .charges import charges_accrue
from .delinquency import fresh_loan_figures, refresh_delinquency
from .events import case_event_record
from .legal import recoveries_announce
from .models import ZERO, Case, CaseEvent, CaseStatus, Installment, Loan, Payment, PaymentAllocation
from .signals import payment_recorded, payments_recorded

PAID_FIELDS = ["fee_paid", "late_fee_paid", "penalty_paid", "interest_paid", "principal_paid", "paid_off_at"]
LOAN_FIELDS = ("product", "currency", "principal", "annual_rate", "disbursed_on", "statute_limitations_date")
INSTALLMENT_FIELDS = ("due_date", "principal_due", "interest_due", "fee_due")
# A new loan's figures at insert (cases.delinquency.fresh_loan_figures) and the columns a bulk upload
# writes for new loans and their schedules (cases.bulkcopy: every other column takes its default).
FIGURE_FIELDS = ("outstanding", "overdue_amount", "dpd", "stage")
NEW_LOAN_COLUMNS = ("platform_id", "borrower_id", "external_id", *LOAN_FIELDS, *FIGURE_FIELDS)
NEW_INSTALLMENT_COLUMNS = ("loan_id", "seq", *INSTALLMENT_FIELDS)

log = logging.getLogger(__name__)


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
    """Insert new rows (attname -> value; a missing field takes its default) and, for a model with
    history, their "+" history rows; returns the new ids in order.

    On PostgreSQL the rows go in by COPY with ids drawn from the table's sequence first, and no model
    instance is built: the ORM's bulk_create spends most of its time preparing each value in Python,
    and building 60,000 installment instances alone was a quarter of a 10,000-loan upload. Elsewhere
    (SQLite) bulk_create (simple-history's bulk_create_with_history for a model with history).
    """
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    history = getattr(model, "history", None)
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        if history is None:
            model.objects.bulk_create(objs, batch_size=batch_size)
        else:
            bulk_create_with_history(objs, model, batch_size=batch_size)
        return [obj.pk for obj in objs]
    now = now or timezone.now()
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # auto_now / auto_now_add as save() would set them; the declared default for anything not given.
    auto = set(_auto_now_fields(model))
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in auto}
    names = [f.attname for f in fields]
    # JSON goes into COPY as its text.
    encoders = {f.attname: f.encoder for f in fields if isinstance(f, JSONField)}
    with connection.wrap_database_errors, connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(rows)],
        )
        ids = [new_id for (new_id,) in raw.fetchall()]
        values = [[now if name in auto else row.get(name, defaults[name]) for name in names] for row in rows]
        for name, encoder in encoders.items():
            i = names.index(name)
            for row_values in values:
                row_values[i] = json.dumps(row_values[i], cls=encoder)
        columns = ", ".join(connection.ops.quote_name(c) for c in [pk.column, *(f.column for f in fields)])
        with raw.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for new_id, row_values in zip(ids, values, strict=True):
                copy.write_row([new_id, *row_values])
        if history is None:
            return ids
        # The history table repeats the model's columns (id included) and adds its own.
        history_model = history.model
        history_fields = [f for f in history_model._meta.concrete_fields if not f.primary_key]
        history_extra = {
            "history_date": now,
            "history_change_reason": None,
            "history_type": "+",
            "history_user_id": bulkcopy.history_user_id(),
        }
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


def _ids(values) -> Any:
    """`_texts` for ids: one bigint[] parameter on PostgreSQL instead of one placeholder per id."""
    values = list(values)
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return values
    return RawSQL("SELECT unnest(%s::bigint[])", [values])


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
    loan_ids: list[int] = field(default_factory=list)  # in the order of the rows
    created: int = 0
    updated: int = 0

    @property
    def loans(self) -> list[Loan]:
        """The loans as written and refreshed (one query), in the order of the rows: the upload itself
        builds no instance of a new loan (cases.bulkcopy)."""
        by_id = Loan.objects.in_bulk(self.loan_ids)
        return [by_id[pk] for pk in self.loan_ids]


def _installment_is_touched(inst: Installment) -> bool:
    return bool(inst.total_paid or inst.total_waived)  # charges paid or forgiven count too


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

    # New loans as the tuples COPY writes (NEW_LOAN_COLUMNS), with their schedules: no instances.
    new_loans: list[tuple] = []
    new_rows: list[dict[str, Any]] = []
    changed_loans: list[Loan] = []
    inst_create: list[Installment] = []
    inst_update: list[Installment] = []
    inst_delete: list[int] = []
    # New loans get their figures at insert; only those that need a case go through the refresh.
    to_refresh: list[int] = []
    new_to_refresh: list[int] = []  # positions in new_loans
    platform_id = platform.pk
    now = timezone.now()
    today = timezone.localdate()

    for i, row in enumerate(loans):
        if i in errors:
            continue
        borrower_id = borrower_ids.get(row["borrower"])
        if borrower_id is None:
            errors[i]["borrower"] = [_("Unknown borrower external id %(id)s.") % {"id": row["borrower"]}]
            continue
        loan = existing.get(row["external_id"])
        if loan is None:
            figures, needs_case = fresh_loan_figures(row["installments"], today)
            if needs_case:
                new_to_refresh.append(len(new_loans))
            new_loans.append(
                (
                    platform_id,
                    borrower_id,
                    row["external_id"],
                    *[row.get(f) for f in LOAN_FIELDS],
                    *[figures[f] for f in FIGURE_FIELDS],
                )
            )
            new_rows.append(row)
            continue
        attrs = {f: row.get(f) for f in LOAN_FIELDS}
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
        to_refresh.append(loan.pk)
        if any(getattr(loan, f) != v for f, v in attrs.items()) or create or update or delete:
            for f, v in attrs.items():
                setattr(loan, f, v)
            loan.updated_at = now
            changed_loans.append(loan)
        inst_create += create
        inst_update += update
        inst_delete += delete

    if errors:
        raise LoanRowsInvalid(dict(errors))

    new_ids = bulkcopy.copy_insert(Loan, NEW_LOAN_COLUMNS, new_loans, now=now)
    bulkcopy.copy_insert(
        Installment,
        NEW_INSTALLMENT_COLUMNS,
        [
            (loan_id, item["seq"], *[item[f] for f in INSTALLMENT_FIELDS])
            for loan_id, row in zip(new_ids, new_rows, strict=True)
            for item in row["installments"]
        ],
        now=now,
    )
    to_refresh += [new_ids[position] for position in new_to_refresh]
    if changed_loans:
        bulk_update_with_history(changed_loans, Loan, [*LOAN_FIELDS, "updated_at"], batch_size=2000)
    if inst_delete:
        Installment.objects.filter(pk__in=inst_delete).delete()
    if inst_update:
        bulk_update_with_history(inst_update, Installment, list(INSTALLMENT_FIELDS), batch_size=2000)
    if inst_create:
        _insert_with_history(Installment, inst_create)

    _refresh_delinquency(to_refresh)
    # Every row is a loan now (new or existing), in the order of the rows.
    ids = {row["external_id"]: loan_id for row, loan_id in zip(new_rows, new_ids, strict=True)}
    ids.update((external_id, loan.pk) for external_id, loan in existing.items())
    return LoanUpsertResult(
        loan_ids=[ids[row["external_id"]] for row in loans], created=len(new_ids), updated=len(loans) - len(new_ids)
    )


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
    late_fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.fee + self.late_fee + self.penalty + self.interest + self.principal


def allocate(amount: Decimal, installments: Sequence[Installment]) -> tuple[list[Allocation], Decimal]:
    """Split `amount` over installments (the waterfall): oldest first, within each the scheduled fee,
    the late fee, penalty interest, interest, then principal (docs/fees.md). A loan has one currency.

    Pure: returns the allocations and what is left over. An installment's waived amount reduces what
    it can take (from the principal end, the last component paid); a forgiven late fee or penalty
    (`late_fee_waived`, `penalty_waived`) is not asked for at all.
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
            (inst.late_fee_due - inst.late_fee_waived, inst.late_fee_paid),
            (inst.penalty_due - inst.penalty_waived, inst.penalty_paid),
            (inst.interest_due, inst.interest_paid),
            (inst.principal_due, inst.principal_paid),
        ):
            take = min(max(due - paid, ZERO), left, room)
            parts.append(take)
            left -= take
            room -= take
        if any(parts):
            fee, late_fee, penalty, interest, principal = parts
            result.append(Allocation(inst, fee, interest, principal, late_fee, penalty))
    return result, left


def _apply(a: Allocation) -> Installment:
    """Add an allocation to its installment's paid amounts (in memory; the caller writes them)."""
    inst = a.installment
    inst.fee_paid += a.fee
    inst.late_fee_paid += a.late_fee
    inst.penalty_paid += a.penalty
    inst.interest_paid += a.interest
    inst.principal_paid += a.principal
    return inst


def _allocation_row(payment: Payment, a: Allocation) -> PaymentAllocation:
    return PaymentAllocation(
        payment=payment,
        installment=a.installment,
        fee=a.fee,
        late_fee=a.late_fee,
        penalty=a.penalty,
        interest=a.interest,
        principal=a.principal,
    )


def payment_record(
    *,
    platform: Platform,
    loan: Loan,
    external_id: str,
    amount: Decimal,
    paid_at: dt.datetime,
    method: str = "",
    currency: str | None = None,
    loan_locked: bool = False,
    settle: bool = True,
) -> Payment:
    """Record a payment and allocate it to the loan's installments (the payment's transaction), then
    settle it (`payment_settle`: the loan's refresh and the apps above, in a second transaction).

    Called outside a transaction, the second runs after the first committed: the payment is on the
    ledger whatever happens to its settling, and the caller returns once both are done. A caller that
    holds the payment's transaction itself (the API: the Idempotency-Key record is in it) passes
    `settle=False` and calls `payment_settle` after its commit; `loan_locked=True` when it already read
    the loan `select_for_update()` in that transaction.
    """
    with transaction.atomic():
        payment = payment_write(
            platform=platform,
            loan=loan,
            external_id=external_id,
            amount=amount,
            paid_at=paid_at,
            method=method,
            currency=currency,
            loan_locked=loan_locked,
        )
    if settle:
        payment_settle(payment)
    return payment


def payment_write(
    *,
    platform: Platform,
    loan: Loan,
    external_id: str,
    amount: Decimal,
    paid_at: dt.datetime,
    method: str = "",
    currency: str | None = None,
    loan_locked: bool = False,
) -> Payment:
    """The payment's own writes, in the caller's transaction: the payment, its allocations (the waterfall,
    `allocate`), the installments' paid amounts, their history rows and the case's payment event.

    On PostgreSQL four statements when no late-fee rule is active (the loan's lock, the charge rules, the
    unpaid installments, then every write in one statement of data-modifying CTEs) and no payment is read
    back: the answer is the instance built here. Raises PaymentExists when the external id is recorded.
    """
    if amount <= ZERO:
        raise ValidationError({"amount": [_("The amount must be positive.")]})
    if paid_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"paid_at": [_("A payment cannot lie in the future.")]})
    # Payments to one loan allocate one after the other, each seeing what the previous one paid.
    if not loan_locked:
        loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if currency is not None and currency != loan.currency:
        raise ValidationError(
            {"currency": [_("The loan is in %(currency)s; the payment must be too.") % {"currency": loan.currency}]}
        )
    postgres = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    # On PostgreSQL the payment's INSERT finds an existing external id (ON CONFLICT), without a read first.
    if not postgres and Payment.objects.filter(platform=platform, external_id=external_id).exists():
        raise PaymentExists(external_id)

    # The charges up to today first, so that the waterfall pays what is owed now, whether or not the
    # day's refresh has run yet (a catch-up gives the same allocation as daily runs).
    charges_accrue(loan_ids=[loan.pk], today=timezone.localdate())
    installments = list(Installment.objects.filter(loan_id=loan.pk, paid_off_at__isnull=True))
    for inst in installments:
        inst.loan = loan  # the answer names the installments' loan; no read for it
    allocations, left = allocate(amount, installments)
    payment = Payment(
        platform=platform,
        loan=loan,
        external_id=external_id,
        amount=amount,
        currency=loan.currency,
        paid_at=paid_at,
        method=method,
        unallocated=left,
        # After a charge-off the payment is allocated as any other, and counted as a recovery.
        recovery=loan.written_off_on is not None,
    )
    touched = []
    for a in allocations:
        inst = _apply(a)
        if inst.remaining <= ZERO:
            inst.paid_off_at = paid_at
        touched.append(inst)
    rows = [_allocation_row(payment, a) for a in allocations]
    if postgres:
        _payment_write_postgresql(payment, rows, touched)
    else:
        payment.save()
        PaymentAllocation.objects.bulk_create(rows)
        if touched:
            bulk_update_with_history(touched, Installment, PAID_FIELDS)
        case = Case.objects.filter(loan=loan, status=CaseStatus.OPEN).first()
        if case is not None:
            case_event_record(case_id=case.pk, kind=CaseEvent.Kind.PAYMENT, **_payment_event(payment))
    # The answer is built from what was written (payment.allocations.all() reads this, not the database).
    payment._prefetched_objects_cache = {"allocations": rows}  # type: ignore[attr-defined]  # Django's own cache
    recoveries_announce([payment])
    return payment


def _payment_event(payment: Payment) -> dict[str, Any]:
    """The `new` value and `data` of a payment's case event."""
    return {
        "new": f"{payment.amount} {payment.currency}",
        "data": {
            "payment": payment.pk,
            "external_id": payment.external_id,
            "paid_at": payment.paid_at.isoformat(),
            "recovery": payment.recovery,
        },
    }


def _history_copy(model, source: str, history_type: str, alias: str = "") -> tuple[str, list[Any]]:
    """`INSERT INTO <history> (...) SELECT ... FROM <source>`: the history rows of `model`'s rows in `source`
    (a CTE carrying the table's columns, or the table `AS <alias>`), the history's own columns as parameters."""
    connection = connections[DEFAULT_DB_ALIAS]
    history_model = model.history.model
    extra: dict[str, Any] = {
        "history_date": timezone.now(),
        "history_change_reason": None,
        "history_type": history_type,
        "history_user_id": bulkcopy.history_user_id(),
    }
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for f in history_model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.attname in extra:
            values.append("%s")
            params.append(extra[f.attname])
        else:
            values.append(f"{alias or source}.{connection.ops.quote_name(f.column)}")
    table = connection.ops.quote_name(history_model._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}", params  # noqa: S608


def _payment_write_postgresql(
    payment: Payment, allocations: list[PaymentAllocation], touched: list[Installment]
) -> None:
    """Every write of one payment in one statement (data-modifying CTEs): the payment (ON CONFLICT on its
    external id: nothing else is written then, and PaymentExists is raised), its "+" history row, the
    allocations, the installments' paid amounts and their "~" history rows, and the event on the loan's
    open case. Sets the ids and `created_at` on the instances."""
    connection = connections[DEFAULT_DB_ALIAS]
    insert, params = rawsql.prepare_insert(payment)
    payment_history, history_params = _history_copy(Payment, "p", "+")
    installment_history, installment_history_params = _history_copy(Installment, "u", "~")
    event = _payment_event(payment)
    sql = f"""
        WITH p AS (
            {insert} ON CONFLICT ON CONSTRAINT uniq_payment_external_id DO NOTHING RETURNING *
        ), ph AS (
            {payment_history}
        ), a AS (
            INSERT INTO cases_paymentallocation (payment_id, installment_id, fee, late_fee, penalty, interest, principal)
            SELECT p.id, v.* FROM p, unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[],
                                            %s::numeric[], %s::numeric[]) AS v
            RETURNING id, installment_id
        ), u AS (
            UPDATE cases_installment AS i
            SET fee_paid = v.fee_paid, late_fee_paid = v.late_fee_paid, penalty_paid = v.penalty_paid,
                interest_paid = v.interest_paid, principal_paid = v.principal_paid, paid_off_at = v.paid_off_at
            FROM p, unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[],
                           %s::numeric[], %s::timestamptz[])
                 AS v (id, fee_paid, late_fee_paid, penalty_paid, interest_paid, principal_paid, paid_off_at)
            WHERE i.id = v.id
            RETURNING i.*
        ), uh AS (
            {installment_history}
        ), e AS (
            INSERT INTO cases_caseevent (case_id, kind, old_value, new_value, reason, actor_id, at, data)
            SELECT c.id, %s, '', %s, '', NULL, %s,
                   jsonb_build_object('payment', p.id, 'external_id', p.external_id, 'paid_at', %s::text,
                                      'recovery', p.recovery)
            FROM p, LATERAL (
                SELECT id FROM cases_case WHERE loan_id = p.loan_id AND status = %s ORDER BY id LIMIT 1
            ) AS c
        )
        SELECT p.id, p.created_at, (SELECT array_agg(ARRAY[a.id, a.installment_id]) FROM a) FROM p
    """  # noqa: S608 - tables and columns from the models, values as parameters
    sql_params: list[Any] = [
        *params,
        *history_params,
        [a.installment_id for a in allocations],
        *([getattr(a, name) for a in allocations] for name in ("fee", "late_fee", "penalty", "interest", "principal")),
        [inst.pk for inst in touched],
        *([getattr(inst, name) for inst in touched] for name in PAID_FIELDS),
        *installment_history_params,
        CaseEvent.Kind.PAYMENT,
        event["new"],
        timezone.now(),
        event["data"]["paid_at"],
        CaseStatus.OPEN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        row = cursor.fetchone()
    if row is None:
        raise PaymentExists(payment.external_id)
    payment_id, payment.created_at, allocation_ids = row
    rawsql.saved(payment, payment_id)
    ids = {installment_id: allocation_id for allocation_id, installment_id in allocation_ids or []}
    for allocation in allocations:
        allocation.payment_id = payment_id
        rawsql.saved(allocation, ids[allocation.installment_id])


def payment_settle(payment: Payment) -> None:
    """After the payment's transaction: the loan's refresh (balances, DPD, stage, the case opened, re-staged,
    rescored or closed, and the refresh's webhooks), then `payment_recorded` for the apps above
    (repayment_plans credits promises and plans, outreach cancels reminders the payment made obsolete), in
    one transaction of their own. Each step is idempotent.

    Run after the commit, a failure here does not undo the payment (a retry of the request replays its
    201): it is logged and the same work is queued (`cases.refresh_delinquency` with the payment's id); the daily refresh and the
    daily promise check would find it too. Inside a caller's transaction the error is the caller's.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic():
            _refresh_delinquency([payment.loan_id])
            payment_recorded.send(sender=Payment, payment=payment)
    except Exception:
        if connection.in_atomic_block:
            raise
        log.exception("settling payment %s failed; queued again", payment.pk)
        from .tasks import refresh_delinquency_task  # the tasks module imports the services

        try:
            refresh_delinquency_task.delay(payment_ids=[payment.pk])
        except Exception:  # the broker too: the daily refresh and promise check catch up
            log.exception("could not queue the settling of payment %s", payment.pk)


class PaymentRowsInvalid(Exception):
    """Some rows of a bulk payment upload are invalid; `errors` maps the row index to `{field: [messages]}`."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class PaymentBulkResult:
    payments: list[Payment] = field(default_factory=list)
    duplicates: int = 0
    # Cases the payments opened, re-staged or closed (the refresh's).
    cases_changed: int = 0


def _same_payment(recorded: Payment, row: dict[str, Any], loan: Loan) -> bool:
    return (
        recorded.loan_id == loan.pk
        and recorded.amount == row["amount"]
        and recorded.paid_at == row["paid_at"]
        and recorded.method == (row.get("method") or "")
    )


def _update_paid_installments(installments: list[Installment]) -> None:
    """Write the installments' paid amounts and their "~" history rows. On PostgreSQL two statements for
    any number (an UPDATE from arrays, then the history copied from the updated rows): Django's
    bulk_update builds a CASE per field and row, and spent 25 s of a 2,000-payment upload building them.
    Elsewhere (SQLite) simple-history's bulk_update_with_history."""
    if not installments:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        bulk_update_with_history(installments, Installment, PAID_FIELDS, batch_size=2000)
        return
    table = connection.ops.quote_name(Installment._meta.db_table)
    ids = [inst.pk for inst in installments]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS i
            SET fee_paid = v.fee_paid, interest_paid = v.interest_paid, principal_paid = v.principal_paid,
                late_fee_paid = v.late_fee_paid, penalty_paid = v.penalty_paid, paid_off_at = v.paid_off_at
            FROM (
                SELECT unnest(%s::bigint[]) AS id, unnest(%s::numeric[]) AS fee_paid,
                       unnest(%s::numeric[]) AS late_fee_paid, unnest(%s::numeric[]) AS penalty_paid,
                       unnest(%s::numeric[]) AS interest_paid, unnest(%s::numeric[]) AS principal_paid,
                       unnest(%s::timestamptz[]) AS paid_off_at
            ) AS v
            WHERE i.id = v.id
            """,  # noqa: S608 - table and columns from the model, values as parameters
            [
                ids,
                [inst.fee_paid for inst in installments],
                [inst.late_fee_paid for inst in installments],
                [inst.penalty_paid for inst in installments],
                [inst.interest_paid for inst in installments],
                [inst.principal_paid for inst in installments],
                [inst.paid_off_at for inst in installments],
            ],
        )
        history, params = _history_copy(Installment, f"{table} AS i", "~", alias="i")
        cursor.execute(f"{history} WHERE i.id = ANY(%s)", [*params, ids])


@transaction.atomic
def payments_bulk_record(*, platform: Platform, payments: Sequence[dict[str, Any]]) -> PaymentBulkResult:
    """Record many payments at once, all or nothing, each allocated as `payment_record` would.

    `payments` are validated rows (PaymentInputSerializer: `loan` is the loan's external id). A row whose
    external id is already recorded with the same content (loan, amount, paid_at, method) is a duplicate (a
    retry) and is skipped; the same external id with other content is an error. Raises PaymentRowsInvalid (nothing
    written) naming each bad row.

    Set-based: the loans are locked in id order and their unpaid installments read in one statement each;
    the allocation runs in memory (payments of one loan in paid_at order, each seeing the one before), then
    the payments and their history rows, the allocations, the installments, the case events are written in
    bulk and the loans refreshed once (the refresh's webhooks: one per affected case). The apps above get
    `payments_recorded` once with the new payments, in this transaction.
    """
    errors: dict[int, dict[str, list[str]]] = defaultdict(dict)
    now = timezone.now()
    first_row: dict[str, int] = {}
    for i, row in enumerate(payments):
        if row["external_id"] in first_row:
            errors[i]["external_id"] = [
                _("This external id is repeated in the request (row %(row)s).") % {"row": first_row[row["external_id"]]}
            ]
        else:
            first_row[row["external_id"]] = i
        if row["amount"] <= ZERO:
            errors[i]["amount"] = [_("The amount must be positive.")]
        if row["paid_at"] > now + dt.timedelta(minutes=5):
            errors[i]["paid_at"] = [_("A payment cannot lie in the future.")]

    # Locked in id order, so that two uploads sharing loans wait for each other instead of deadlocking;
    # payments already recorded are read after the locks, so a concurrent upload's are seen.
    loans = {
        loan.external_id: loan
        for loan in Loan.objects.select_for_update()
        .filter(platform=platform, external_id__in=_texts({row["loan"] for row in payments}))
        .order_by("pk")
    }
    recorded = {p.external_id: p for p in Payment.objects.filter(platform=platform, external_id__in=_texts(first_row))}
    todo: list[tuple[int, dict[str, Any], Loan]] = []
    duplicates = 0
    for i, row in enumerate(payments):
        loan = loans.get(row["loan"])
        if loan is None:
            errors[i]["loan"] = [_("Unknown loan external id.")]
            continue
        if row.get("currency") is not None and row["currency"] != loan.currency:
            errors[i]["currency"] = [
                _("The loan is in %(currency)s; the payment must be too.") % {"currency": loan.currency}
            ]
        previous = recorded.get(row["external_id"])
        if previous is not None:
            if not _same_payment(previous, row, loan):
                errors[i]["external_id"] = [
                    _("A payment with this external id is already recorded with other content.")
                ]
            elif i not in errors:
                duplicates += 1
            continue
        todo.append((i, row, loan))
    if errors:
        raise PaymentRowsInvalid(dict(errors))
    if not todo:
        return PaymentBulkResult(duplicates=duplicates)

    loan_ids = sorted({loan.pk for _i, _row, loan in todo})
    charges_accrue(loan_ids=loan_ids, today=timezone.localdate())  # as payment_record does
    unpaid: dict[int, list[Installment]] = defaultdict(list)
    for inst in Installment.objects.filter(loan_id__in=_ids(loan_ids), paid_off_at__isnull=True).order_by(
        "due_date", "seq"
    ):
        unpaid[inst.loan_id].append(inst)

    new_payments: list[Payment] = []
    allocations: list[tuple[Payment, Allocation]] = []
    touched: dict[int, Installment] = {}
    # Each loan's payments in the order they were paid (then as sent), each allocated after the one before.
    for _i, row, loan in sorted(todo, key=lambda t: (t[2].pk, t[1]["paid_at"], t[0])):
        loan_allocations, left = allocate(row["amount"], unpaid[loan.pk])
        payment = Payment(
            platform=platform,
            loan=loan,
            external_id=row["external_id"],
            amount=row["amount"],
            currency=loan.currency,
            paid_at=row["paid_at"],
            method=row.get("method") or "",
            unallocated=left,
            recovery=loan.written_off_on is not None,
        )
        new_payments.append(payment)
        for a in loan_allocations:
            inst = _apply(a)
            if inst.remaining <= ZERO:
                inst.paid_off_at = row["paid_at"]
            touched[inst.pk] = inst
            allocations.append((payment, a))
        unpaid[loan.pk] = [inst for inst in unpaid[loan.pk] if inst.paid_off_at is None]

    _insert_with_history(Payment, new_payments)
    _insert_rows(
        PaymentAllocation,
        [
            {
                "payment_id": payment.pk,
                "installment_id": a.installment.pk,
                "fee": a.fee,
                "late_fee": a.late_fee,
                "penalty": a.penalty,
                "interest": a.interest,
                "principal": a.principal,
            }
            for payment, a in allocations
        ],
    )
    _update_paid_installments(list(touched.values()))
    open_cases = dict(
        Case.objects.filter(loan_id__in=_ids(loan_ids), status=CaseStatus.OPEN).values_list("loan_id", "pk")
    )
    at = timezone.now()
    _insert_rows(
        CaseEvent,
        [
            {
                "case_id": open_cases[payment.loan_id],
                "kind": CaseEvent.Kind.PAYMENT,
                "new_value": event["new"],
                "at": at,
                "data": event["data"],
            }
            for payment in new_payments
            if payment.loan_id in open_cases
            for event in [_payment_event(payment)]
        ],
    )
    recoveries_announce(new_payments)
    refreshed = refresh_delinquency(loan_ids=loan_ids)
    # The apps above react to the set as they do to one payment (promises and plans credited, obsolete
    # reminders cancelled), in a few statements instead of a few per payment.
    payments_recorded.send(sender=Payment, payments=new_payments)
    # In request order, for the answer.
    by_external_id = {p.external_id: p for p in new_payments}
    changed = {*refreshed.opened_case_ids, *refreshed.closed_case_ids, *refreshed.stage_changed_case_ids}
    return PaymentBulkResult(
        payments=[by_external_id[row["external_id"]] for _i, row, _loan in todo],
        duplicates=duplicates,
        cases_changed=len(changed),
    )
