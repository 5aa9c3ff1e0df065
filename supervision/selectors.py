"""Reads of supervision: the dashboard's figures, agency commissions, quality results and approvals.

Every figure is an aggregate computed by the database (Count/Sum with filters, grouped by month), so
the dashboard costs a bounded number of queries whatever the size of the book: one per figure, plus one
per month for roll rates.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as When_
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Platform, Team, User
from accounts.roles import case_filter
from borrowers.models import Channel
from cases.models import ZERO, Case, CaseEvent, CaseStatus, Payment, Stage
from compliance.models import Decision
from contacts.models import ContactAttempt
from repayment_plans.models import Plan, PlanApproval, PlanStatus, Promise, PromiseStatus
from repayment_plans.services import Limits, absolute_limits, supervisor_limits, user_limits

from .models import AgencyContract, QualityReview

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)
STAGE_ORDER = [s.value for s in Stage]
NEXT_STAGE = dict(zip(STAGE_ORDER, STAGE_ORDER[1:], strict=False))
# A case closed as paid off is as much a cure as one closed as cured: the delinquency is over.
CURED_REASONS = ("cured", "paid_off")
# A delinquent case counts as cured when it is closed as such within this time of entering delinquency.
CURE_WINDOW = dt.timedelta(days=30)
RESOLVED_PROMISES = (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)
RPC_OUTCOMES = ("right_party", "promise", "connected")
# A payment is credited to the last outbound channel that reached the borrower in the 7 days before it.
ATTRIBUTION_WINDOW = dt.timedelta(days=7)
NO_CHANNEL = "none"
BREAKDOWNS = ("by_channel", "by_collector", "by_agency")


def _rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _month_key(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%Y-%m") if value else ""


@dataclass
class Period:
    """Whole calendar months (UTC), the current one included."""

    months: list[dt.date]

    @classmethod
    def last(cls, count: int, today: dt.date | None = None) -> Period:
        first = _add_months(_month_start(today or timezone.now().date()), -(count - 1))
        return cls([_add_months(first, i) for i in range(count)])

    @property
    def start(self) -> dt.datetime:
        return _midnight(self.months[0])

    @property
    def end(self) -> dt.datetime:
        return _midnight(_add_months(self.months[-1], 1))

    @property
    def labels(self) -> list[str]:
        return [m.strftime("%Y-%m") for m in self.months]


@dataclass
class Scope:
    """Which cases the figures cover: the user's, narrowed by platform and team."""

    cases: QuerySet[Case]
    everything: bool

    def contacts(self) -> QuerySet[ContactAttempt]:
        return ContactAttempt.objects.all() if self.everything else ContactAttempt.objects.filter(case__in=self.cases)

    def decisions(self) -> QuerySet[Decision]:
        return Decision.objects.all() if self.everything else Decision.objects.filter(case__in=self.cases)

    def promises(self) -> QuerySet[Promise]:
        return Promise.objects.filter(case__in=self.cases) if not self.everything else Promise.objects.all()


def dashboard_scope(*, user: Any, platform: Platform | None = None, team: Team | None = None) -> Scope:
    cases = Case.objects.visible_to(user)
    if platform is not None:
        cases = cases.filter(platform=platform)
    if team is not None:
        cases = cases.filter(assigned_to__team=team)
    # Everything: the figures read whole tables, contacts and decisions without a case included.
    return Scope(cases=cases, everything=case_filter(user) is None and platform is None and team is None)


# --- the figures ----------------------------------------------------------------------------------------------


def _per_currency(amounts: Mapping[str, Decimal]) -> list[dict[str, Any]]:
    """Amounts keyed by currency as rows sorted by currency code; never added across currencies."""
    return [{"currency": code, "amount": amounts[code]} for code in sorted(amounts)]


def stage_breakdown(scope: Scope) -> list[dict[str, Any]]:
    """Open cases and overdue amounts by stage, every stage listed (zero cases when empty); the amounts
    per currency of the case's loan (`amounts`: [{currency, amount}], none when the stage is empty)."""
    cases: Counter[str] = Counter()
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in (
        scope.cases.filter(status=CaseStatus.OPEN)
        .order_by()
        .values("stage", "loan__currency")
        .annotate(cases=Count("id"), amount=Coalesce(Sum("overdue_amount"), ZERO, output_field=MONEY))
    ):
        cases[r["stage"]] += r["cases"]
        amounts[r["stage"]][r["loan__currency"]] = r["amount"]
    labels = dict(Stage.choices)
    return [
        {
            "stage": stage,
            "label": str(labels[stage]),
            "cases": cases[stage],
            "amounts": _per_currency(amounts[stage]),
        }
        for stage in STAGE_ORDER
    ]


def _stage_at(moment: dt.datetime) -> When_:
    """A case's stage at `moment`: its last opened/stage-changed event by then, or "closed"."""
    last_stage = Subquery(
        CaseEvent.objects.filter(
            case=OuterRef("pk"), kind__in=[CaseEvent.Kind.OPENED, CaseEvent.Kind.STAGE_CHANGED], at__lte=moment
        )
        .order_by("-at", "-id")
        .values("new_value")[:1],
        output_field=CharField(),
    )
    return When_(
        When(closed_at__lte=moment, then=Value("closed")),
        default=last_stage,
        output_field=CharField(),
    )


def roll_counts(scope: Scope, month: dt.date) -> dict[tuple[str, str], int]:
    """The count behind roll rates (and the champion/challenger comparison, supervision.experiments): cases
    by (their stage at the start of `month`, their stage at the start of the next month). One query."""
    before, after = _midnight(month), _midnight(_add_months(month, 1))
    return {
        (r["s_from"], r["s_to"]): r["n"]
        for r in scope.cases.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=before))
        .annotate(s_from=_stage_at(before), s_to=_stage_at(after))
        .filter(s_from__isnull=False)
        .order_by()
        .values("s_from", "s_to")
        .annotate(n=Count("id"))
    }


def roll_rates(scope: Scope, period: Period) -> dict[str, list[float | None]]:
    """Month-on-month roll (flow) rates: of the cases in stage S at the end of the previous month, the
    share in the next stage at the end of this month. One grouped query per month."""
    rates: dict[str, list[float | None]] = {f"{s}>{n}": [] for s, n in NEXT_STAGE.items()}
    for month in period.months:
        counts = roll_counts(scope, month)
        for stage, nxt in NEXT_STAGE.items():
            base = sum(n for (s_from, _to), n in counts.items() if s_from == stage)
            rates[f"{stage}>{nxt}"].append(_rate(counts.get((stage, nxt), 0), base))
    return rates


def _delinquency_start() -> Coalesce:
    """When a case became delinquent: its first opened or stage-changed event into a stage past due (a
    pre-due case that was paid never enters), else opened_at for a case that is past due now."""
    entered = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=[CaseEvent.Kind.OPENED, CaseEvent.Kind.STAGE_CHANGED])
        .exclude(new_value__in=[Stage.PRE_DUE, ""])
        .order_by("at", "id")
        .values("at")[:1]
    )
    past_due_now = When_(When(~Q(stage=Stage.PRE_DUE), then=F("opened_at")), default=None)
    return Coalesce(Subquery(entered), past_due_now, output_field=DateTimeField())


def cure_rate(scope: Scope, period: Period, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Cure rate of a cohort (docs/kpis.md): of the cases that entered delinquency in each month of the
    period, the share closed as cured or paid off within CURE_WINDOW of entering. Only cases whose window
    has ended by `now` are in the cohort, so a case counts once, in the month it entered, and the rate
    is at most 100%. Pre-due cases never enter."""
    now = now or timezone.now()
    rows = (
        scope.cases.annotate(entered=_delinquency_start())
        .filter(entered__gte=period.start, entered__lt=period.end, entered__lte=now - CURE_WINDOW)
        .annotate(month=TruncMonth("entered", tzinfo=dt.UTC))
        .order_by()
        .values("month")
        .annotate(
            cohort=Count("id"),
            cured=Count(
                "id",
                filter=Q(
                    close_reason__in=CURED_REASONS,
                    closed_at__lte=ExpressionWrapper(F("entered") + CURE_WINDOW, output_field=DateTimeField()),
                ),
            ),
        )
    )
    by_month = {_month_key(r["month"]): r for r in rows}
    cohort = sum(r["cohort"] for r in by_month.values())
    cured = sum(r["cured"] for r in by_month.values())
    return {
        "cohort": cohort,
        "cured": cured,
        "rate": _rate(cured, cohort),
        "window_days": CURE_WINDOW.days,
        "by_month": [
            _rate(by_month[m]["cured"], by_month[m]["cohort"]) if m in by_month else None for m in period.labels
        ],
    }


def promise_kept_rate(scope: Scope, period: Period) -> dict[str, Any]:
    """Of the promises due in the period and resolved, the share kept in full (partly kept is not kept)."""
    rows = (
        _resolved_promises(scope, period)
        .annotate(month=TruncMonth("due_date"))
        .order_by()
        .values("month")
        .annotate(resolved=Count("id"), kept=Count("id", filter=Q(status=PromiseStatus.KEPT)))
    )
    by_month = {_month_key(r["month"]): r for r in rows}
    resolved = sum(r["resolved"] for r in by_month.values())
    kept = sum(r["kept"] for r in by_month.values())
    return {
        "resolved": resolved,
        "kept": kept,
        "rate": _rate(kept, resolved),
        "by_month": [
            _rate(by_month[m]["kept"], by_month[m]["resolved"]) if m in by_month else None for m in period.labels
        ],
    }


def contact_stats(scope: Scope, period: Period) -> dict[str, Any]:
    """Right-party contact rate: borrower conversations (right party, promise, connected) per outbound
    call attempt; and contacts per month for the trend."""
    rpc = Q(channel="call", direction="outbound", party="borrower", outcome__in=RPC_OUTCOMES)
    rows = (
        scope.contacts()
        .filter(at__gte=period.start, at__lt=period.end)
        .annotate(month=TruncMonth("at", tzinfo=dt.UTC))
        .order_by()
        .values("month")
        .annotate(
            contacts=Count("id"),
            calls=Count("id", filter=Q(channel="call", direction="outbound")),
            rpc=Count("id", filter=rpc),
        )
    )
    by_month = {_month_key(r["month"]): r for r in rows}
    calls = sum(r["calls"] for r in by_month.values())
    reached = sum(r["rpc"] for r in by_month.values())
    return {
        "calls": calls,
        "right_party": reached,
        "rate": _rate(reached, calls),
        "by_month": [_rate(by_month[m]["rpc"], by_month[m]["calls"]) if m in by_month else None for m in period.labels],
        "contacts_by_month": [by_month[m]["contacts"] if m in by_month else 0 for m in period.labels],
    }


def _collection_start() -> Coalesce:
    """When collection on a case began: its `opened` event (kept by imports that backdate it), else opened_at."""
    opened_event = CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.Kind.OPENED).order_by("at")
    return Coalesce(Subquery(opened_event.values("at")[:1]), F("opened_at"), output_field=DateTimeField())


def recovered_payments(scope: Scope, period: Period) -> QuerySet[Payment]:
    """Payments in the period received while a case (in scope) was open on their loan, each annotated
    with that case (`case_id`) and the channel it is credited to (`channel`)."""
    collecting = (
        scope.cases.filter(loan=OuterRef("loan_id"))
        .annotate(started=_collection_start())
        .filter(started__lte=OuterRef("paid_at"))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=OuterRef("paid_at")))
        .order_by("-id")
    )
    last_channel = (
        ContactAttempt.objects.filter(
            borrower_id=OuterRef("loan__borrower_id"),
            direction="outbound",
            at__lte=OuterRef("paid_at"),
            at__gte=OuterRef("paid_at") - ATTRIBUTION_WINDOW,
        )
        .exclude(outcome__in=["failed", "wrong_number"])
        .order_by("-at", "-id")
        .values("channel")[:1]
    )
    return (
        Payment.objects.filter(paid_at__gte=period.start, paid_at__lt=period.end)
        .annotate(case_id=Subquery(collecting.values("id")[:1]))
        .filter(case_id__isnull=False)
        .annotate(channel=Coalesce(Subquery(last_channel), Value(NO_CHANNEL), output_field=CharField()))
    )


@dataclass(frozen=True)
class Holder:
    """Who held a case: the collector's username and the agency's name ("" for nobody)."""

    collector: str
    agency: str


@dataclass
class HolderTimeline:
    """A case's holders over time, from its assigned, placed and recalled events."""

    changes: list[tuple[dt.datetime, Holder]]
    initial: Holder

    def at(self, moment: dt.datetime) -> Holder:
        """The holder at `moment`: after every event at or before it (an event after it does not count)."""
        index = bisect_right([at for at, _holder in self.changes], moment)
        return self.changes[index - 1][1] if index else self.initial


RECOVERED_FIELDS = ["amount", "currency", "paid_at", "case_id", "channel", "recovery"]
HOLDER_EVENTS = (CaseEvent.Kind.ASSIGNED, CaseEvent.Kind.PLACED, CaseEvent.Kind.RECALLED)


def holder_timelines(case_ids: Collection[int]) -> dict[int, HolderTimeline]:
    """Each case's holders over time (two queries). Before its first event a case was held by whoever
    that event took it from (an assignment's old value, a placement's previous assignee, a recall's
    agency); a case without events by its current collector and agency."""
    agency_names = dict(Agency.objects.values_list("id", "name"))
    current = {
        c["id"]: Holder(c["assigned_to__username"] or "", c["agency__name"] or "")
        for c in Case.objects.filter(pk__in=list(case_ids)).values("id", "assigned_to__username", "agency__name")
    }
    events: dict[int, list[tuple[str, str, str, dict[str, Any], dt.datetime]]] = defaultdict(list)
    for case_id, kind, old, new, data, at in (
        CaseEvent.objects.filter(case_id__in=list(case_ids), kind__in=HOLDER_EVENTS)
        .order_by("at", "id")
        .values_list("case_id", "kind", "old_value", "new_value", "data", "at")
    ):
        events[case_id].append((kind, old, new, data or {}, at))
    timelines = {}
    for case_id, now in current.items():
        collector: str | None = None
        agency: str | None = None
        for kind, old, _new, data, _at in events[case_id]:
            if collector is None and kind in (CaseEvent.Kind.ASSIGNED, CaseEvent.Kind.PLACED):
                collector = old if kind == CaseEvent.Kind.ASSIGNED else data.get("previous_assignee", "")
            if agency is None and kind in (CaseEvent.Kind.PLACED, CaseEvent.Kind.RECALLED):
                agency = "" if kind == CaseEvent.Kind.PLACED else old
        initial = Holder(now.collector if collector is None else collector, now.agency if agency is None else agency)
        holder, changes = initial, []
        for kind, _old, new, data, at in events[case_id]:
            if kind == CaseEvent.Kind.ASSIGNED:
                holder = Holder(new, holder.agency)
            elif kind == CaseEvent.Kind.PLACED:
                holder = Holder("", agency_names.get(int(data.get("agency_id") or 0), new) or new)
            else:
                holder = Holder("", "")
            changes.append((at, holder))
        timelines[case_id] = HolderTimeline(changes=changes, initial=initial)
    return timelines


def _display_names(usernames: Collection[str]) -> dict[str, str]:
    """Full names for usernames (the username when a user has none)."""
    names = {}
    for username, first, last in User.objects.filter(username__in=[u for u in usernames if u]).values_list(
        "username", "first_name", "last_name"
    ):
        names[username] = f"{first} {last}".strip() or username
    return names


def recovered_amounts(scope: Scope, period: Period) -> dict[str, Any]:
    """What was recovered in the period, per currency: by month, by channel, and by the collector and
    agency that held the case when each payment arrived (not whoever holds it now).

    Rows of `by_channel`, `by_collector` and `by_agency` are {key, label, currency, amount}; `by_month`
    maps each currency to one amount per month; `total` is one row per currency, `after_charge_off` the
    part of it received after the loan was written off (recoveries after charge-off), one row per currency.
    """
    # The annotations by name from one list: the type checker reads literal names as model fields only.
    payments = list(recovered_payments(scope, period).values(*RECOVERED_FIELDS))
    timelines = holder_timelines({p["case_id"] for p in payments})
    month_index = {label: i for i, label in enumerate(period.labels)}
    by_month: dict[str, list[Decimal]] = {}
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    # Payments received after their loan's charge-off (cases.legal): part of the total, also shown alone.
    after_charge_off: dict[str, Decimal] = defaultdict(lambda: ZERO)
    grouped: dict[str, dict[tuple[str, str], Decimal]] = {k: defaultdict(lambda: ZERO) for k in BREAKDOWNS}
    for p in payments:
        currency, amount = p["currency"], p["amount"]
        holder = timelines[p["case_id"]].at(p["paid_at"])
        totals[currency] += amount
        if p["recovery"]:
            after_charge_off[currency] += amount
        months = by_month.setdefault(currency, [ZERO] * len(period.labels))
        months[month_index[_month_key(p["paid_at"].astimezone(dt.UTC))]] += amount
        grouped["by_channel"][(p["channel"], currency)] += amount
        grouped["by_collector"][(holder.collector, currency)] += amount
        grouped["by_agency"][(holder.agency, currency)] += amount
    names = _display_names({collector for collector, _c in grouped["by_collector"]})
    channels = dict(Channel.choices)

    def label(kind: str, key: str) -> str:
        if kind == "by_channel":
            return str(_("No contact in the 7 days before")) if key == NO_CHANNEL else str(channels.get(key, key))
        if kind == "by_collector":
            return names.get(key, key) if key else str(_("(no collector)"))
        return key or str(_("(no agency)"))

    def rows(kind: str) -> list[dict[str, Any]]:
        items = sorted(grouped[kind].items(), key=lambda item: (item[0][1], -item[1], item[0][0]))
        return [
            {"key": key, "label": label(kind, key), "currency": currency, "amount": amount}
            for (key, currency), amount in items
        ]

    return {
        **{kind: rows(kind) for kind in BREAKDOWNS},
        "by_month": {currency: by_month[currency] for currency in sorted(by_month)},
        "total": _per_currency(totals),
        "after_charge_off": _per_currency(after_charge_off),
    }


def compliance_blocks(scope: Scope, period: Period) -> dict[str, Any]:
    """Blocked decisions by failing rule (a decision failing two rules counts for both) and by month.

    The rule codes sit in a JSON list, so they are counted in Python over one query that reads only
    that column of the blocked decisions of the period.
    """
    blocked = scope.decisions().filter(allowed=False, dry_run=False, at__gte=period.start, at__lt=period.end)
    by_rule: Counter[str] = Counter()
    for reasons in blocked.values_list("reasons", flat=True).iterator(chunk_size=5000):
        by_rule.update({r.get("code", "?") for r in reasons or []})
    by_month = dict(
        blocked.annotate(month=TruncMonth("at", tzinfo=dt.UTC)).order_by().values_list("month").annotate(n=Count("id"))
    )
    by_month_key = {_month_key(k): v for k, v in by_month.items()}
    return {
        "by_rule": by_rule.most_common(),
        "by_month": [by_month_key.get(m, 0) for m in period.labels],
        "total": sum(by_month_key.values()),
    }


def promise_kept_amounts(scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Promise kept rate by amount, per currency (docs/kpis.md): of the amount promised in the promises due
    in the period and resolved, the share paid, each promise's payments counted up to its amount (an
    overpayment does not make up for another promise). Rows {currency, promised, paid, rate}."""
    rows = (
        _resolved_promises(scope, period)
        .order_by()
        .values("case__loan__currency")
        .annotate(
            promised=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            paid=Coalesce(Sum(Least("paid_amount", "amount")), ZERO, output_field=MONEY),
        )
    )
    return [
        {
            "currency": r["case__loan__currency"],
            "promised": r["promised"],
            "paid": r["paid"],
            "rate": _rate(r["paid"], r["promised"]),
        }
        for r in sorted(rows, key=lambda r: r["case__loan__currency"])
    ]


def _resolved_promises(scope: Scope, period: Period) -> QuerySet[Promise]:
    return (
        scope.promises()
        .filter(due_date__gte=period.months[0], due_date__lt=_add_months(period.months[-1], 1))
        .filter(status__in=RESOLVED_PROMISES)
    )


def _worked_cases(scope: Scope, period: Period) -> QuerySet[Case]:
    """The cases in collection at some time in the period: begun before its end, not closed before its start."""
    return (
        scope.cases.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=period.start))
        .annotate(started=_collection_start())
        .filter(started__lt=period.end)
    )


def liquidation_rate(scope: Scope, period: Period, recovered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Liquidation (recovery) rate per currency (docs/kpis.md): what was recovered in the period ÷ (what was
    recovered + what is still overdue on the cases worked in the period). `recovered`: the period's
    recovered total per currency (`recovered_amounts(...)["total"]`). Rows {currency, recovered,
    outstanding, rate}."""
    outstanding = {
        r["loan__currency"]: r["amount"]
        for r in _worked_cases(scope, period)
        .order_by()
        .values("loan__currency")
        .annotate(amount=Coalesce(Sum("overdue_amount"), ZERO, output_field=MONEY))
    }
    paid = {r["currency"]: r["amount"] for r in recovered}
    out = []
    for currency in sorted(set(outstanding) | set(paid)):
        got, owed = paid.get(currency, ZERO), outstanding.get(currency, ZERO)
        out.append({"currency": currency, "recovered": got, "outstanding": owed, "rate": _rate(got, got + owed)})
    return out


# An annotation read by name from a list: the type checker reads literal names as model fields only.
CASE_ID = ["case_id"]
# The figures a dashboard card links to, each with the cases behind it (`kpi_cases`).
DRILL_DOWNS = ("cure", "cure_missed", "promises", "promises_missed", "rpc", "recovered", "liquidation")


def kpi_cases(scope: Scope, period: Period, kpi: str, *, now: dt.datetime | None = None) -> QuerySet[Case]:
    """The cases behind a dashboard figure (docs/kpis.md, "Drill-down"): exactly those its count is over.

    cure: the cohort of the cure rate; cure_missed: those of it not cured in the window; promises: cases
    with a promise in the promise kept rate; promises_missed: with one not kept in full; rpc: cases with
    an outbound call of the right-party contact rate; recovered: cases a recovered payment counted on;
    liquidation: the cases worked in the period (the liquidation rate's denominator)."""
    now = now or timezone.now()
    ids: Any  # a subquery of case ids, from a different model for each figure
    if kpi in ("cure", "cure_missed"):
        cohort = scope.cases.annotate(entered=_delinquency_start()).filter(
            entered__gte=period.start, entered__lt=period.end, entered__lte=now - CURE_WINDOW
        )
        if kpi == "cure_missed":
            cured = Q(
                close_reason__in=CURED_REASONS,
                closed_at__lte=ExpressionWrapper(F("entered") + CURE_WINDOW, output_field=DateTimeField()),
            )
            cohort = cohort.exclude(cured)
        ids = cohort.values("pk")
    elif kpi in ("promises", "promises_missed"):
        promises = _resolved_promises(scope, period)
        if kpi == "promises_missed":
            promises = promises.exclude(status=PromiseStatus.KEPT)
        ids = promises.values("case_id")
    elif kpi == "rpc":
        ids = (
            scope.contacts()
            .filter(at__gte=period.start, at__lt=period.end, channel="call", direction="outbound")
            .values("case_id")
        )
    elif kpi == "recovered":
        ids = recovered_payments(scope, period).values(*CASE_ID)
    elif kpi == "liquidation":
        ids = _worked_cases(scope, period).values("pk")
    else:
        raise ValueError(f"no drill-down for {kpi!r}")
    return scope.cases.filter(pk__in=ids)


def dashboard(
    *,
    user: Any,
    platform: Platform | None = None,
    team: Team | None = None,
    months: int = 6,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Every figure of the dashboard over the last `months` calendar months up to `today`."""
    scope = dashboard_scope(user=user, platform=platform, team=team)
    period = Period.last(months, today)
    now = _midnight(today + dt.timedelta(days=1)) if today else timezone.now()
    recovered = recovered_amounts(scope, period)
    return {
        "months": period.labels,
        "stages": stage_breakdown(scope),
        "roll_rates": roll_rates(scope, period),
        "cure": cure_rate(scope, period, now=now),
        "promises": promise_kept_rate(scope, period),
        "promise_amounts": promise_kept_amounts(scope, period),
        "contacts": contact_stats(scope, period),
        "recovered": recovered,
        "liquidation": liquidation_rate(scope, period, recovered["total"]),
        "blocks": compliance_blocks(scope, period),
    }


# --- agencies ----------------------------------------------------------------------------------------------


@dataclass
class AgencySummary:
    """One agency's figures; every amount per currency ({currency: amount}), never added across them."""

    agency: Agency
    contract: AgencyContract | None
    placed_open: int = 0
    recovered: dict[str, Decimal] = field(default_factory=dict)
    commission: dict[str, Decimal] = field(default_factory=dict)
    placed_amount: dict[str, Decimal] = field(default_factory=dict)
    evaluation_overdue: bool = False
    cases: list[int] = field(default_factory=list)

    @property
    def placed_amounts(self) -> list[dict[str, Any]]:
        return _per_currency(self.placed_amount)

    @property
    def recovered_amounts(self) -> list[dict[str, Any]]:
        return _per_currency(self.recovered)

    @property
    def commissions(self) -> list[dict[str, Any]]:
        return _per_currency(self.commission)


def placement_periods(
    case_ids: list[int] | None = None,
) -> dict[int, list[tuple[int, dt.datetime, dt.datetime | None]]]:
    """Each case's agency placements as (agency id, from, until) from its `placed` and `recalled` events.

    A placement event names the agency in `data.agency_id` (older ones by name only); a recall has an
    empty new value.
    """
    agency_ids = dict(Agency.objects.values_list("name", "id"))
    events = CaseEvent.objects.filter(kind__in=[CaseEvent.Kind.PLACED, CaseEvent.Kind.RECALLED])
    if case_ids is not None:
        events = events.filter(case_id__in=case_ids)
    periods: dict[int, list[tuple[int, dt.datetime, dt.datetime | None]]] = defaultdict(list)
    current: dict[int, tuple[int, dt.datetime]] = {}
    for case_id, new_value, data, at in events.order_by("at", "id").values_list("case_id", "new_value", "data", "at"):
        if case_id in current:
            agency_id, since = current.pop(case_id)
            periods[case_id].append((agency_id, since, at))
        if new_value:
            placed_with = (data or {}).get("agency_id") or agency_ids.get(new_value)
            if placed_with:
                current[case_id] = (placed_with, at)
    for case_id, (agency_id, since) in current.items():
        periods[case_id].append((agency_id, since, None))
    return periods


def _commission(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _placed_case_ids(user: Any) -> list[int]:
    """The cases ever placed with an agency that `user` may see."""
    placed = CaseEvent.objects.filter(kind=CaseEvent.Kind.PLACED).values("case_id")
    return list(Case.objects.visible_to(user).filter(pk__in=placed).values_list("pk", flat=True))


def agency_summaries(*, user: Any = None, today: dt.date | None = None) -> list[AgencySummary]:
    """Per agency: open cases placed now, amounts recovered on its placements while placed, commission; over
    the cases `user` may see (a team supervisor: those their team placed, accounts.roles), all without one.

    Four queries: agencies with contracts, placement events, the placed cases' loans, their payments.
    """
    today = today or timezone.localdate()
    summaries = {
        a.pk: AgencySummary(agency=a, contract=getattr(a, "contract", None))
        for a in Agency.objects.select_related("contract").order_by("name")
    }
    for summary in summaries.values():
        summary.evaluation_overdue = bool(summary.contract and summary.contract.evaluation_due_on < today)
    periods = placement_periods(None if user is None else _placed_case_ids(user))
    cases = {
        c["id"]: c
        for c in Case.objects.filter(pk__in=list(periods)).values(
            "id", "loan_id", "loan__currency", "agency_id", "status", "overdue_amount"
        )
    }
    for case in cases.values():
        if case["agency_id"] in summaries and case["status"] == CaseStatus.OPEN:
            summary = summaries[case["agency_id"]]
            summary.placed_open += 1
            currency = case["loan__currency"]
            summary.placed_amount[currency] = summary.placed_amount.get(currency, ZERO) + case["overdue_amount"]
            summary.cases.append(case["id"])
    payments: dict[int, list[tuple[dt.datetime, str, Decimal]]] = defaultdict(list)
    for loan_id, paid_at, currency, amount in Payment.objects.filter(
        loan_id__in={c["loan_id"] for c in cases.values()}
    ).values_list("loan_id", "paid_at", "currency", "amount"):
        payments[loan_id].append((paid_at, currency, amount))
    for case_id, spans in periods.items():
        placed = cases.get(case_id)
        if placed is None:
            continue
        for agency_id, since, until in spans:
            placement = summaries.get(agency_id)
            if placement is None:
                continue
            for paid_at, currency, amount in payments[placed["loan_id"]]:
                if since <= paid_at and (until is None or paid_at < until):
                    placement.recovered[currency] = placement.recovered.get(currency, ZERO) + amount
    for summary in summaries.values():
        percent = summary.contract.commission_percent if summary.contract else ZERO
        summary.commission = {currency: _commission(amount, percent) for currency, amount in summary.recovered.items()}
    return list(summaries.values())


# --- quality -----------------------------------------------------------------------------------------------


def quality_results(*, user: Any, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per collector and month: reviews, average score and how often each check passed, over the
    scorecards `user` may see (a team supervisor: their own team's, QualityReview.objects.visible_to)."""
    reviews = QualityReview.objects.visible_to(user)
    if since is not None:
        reviews = reviews.filter(reviewed_at__gte=since)
    rows = (
        reviews.annotate(month=TruncMonth("reviewed_at", tzinfo=dt.UTC))
        .order_by()
        .values("sample__contact__actor_user__username", "month")
        .annotate(
            reviews=Count("id"),
            avg_score=Avg("score"),
            identity=Count("id", filter=Q(identity_verified=True)),
            disclosure=Count("id", filter=Q(disclosure_made=True)),
            # Not `clean`: an annotation may not shadow a model attribute (Model.clean) for the type checker.
            clean_calls=Count("id", filter=Q(no_prohibited_content=True)),
            outcome=Count("id", filter=Q(correct_outcome=True)),
            avg_tone=Avg("tone"),
        )
        .order_by("sample__contact__actor_user__username", "month")
    )
    return [
        {
            "collector": r["sample__contact__actor_user__username"] or "",
            "month": _month_key(r["month"]),
            "reviews": r["reviews"],
            "avg_score": round(float(r["avg_score"]), 1),
            "avg_tone": round(float(r["avg_tone"]), 1),
            "identity_rate": _rate(r["identity"], r["reviews"]),
            "disclosure_rate": _rate(r["disclosure"], r["reviews"]),
            "clean_rate": _rate(r["clean_calls"], r["reviews"]),
            "outcome_rate": _rate(r["outcome"], r["reviews"]),
        }
        for r in rows
    ]


# --- approvals ---------------------------------------------------------------------------------------------


@dataclass
class ApprovalItem:
    """A plan waiting for approval as its approver reads it: where it stands, who approved, who must
    still approve, and what this viewer may do."""

    plan: Plan
    approvals: list[PlanApproval]
    # The viewer may approve or refuse it now (not its proposer, not already decided).
    can_decide: bool
    # The viewer's approval would activate it (their limits cover its discount and term).
    activates: bool
    # Why the viewer may not decide ("" when they may).
    blocked_because: str

    @property
    def state(self) -> str:
        if not self.approvals:
            return _("Waiting for a first approval.")
        return _("Approved at level %(level)s; waiting for a further approver whose limits cover it.") % {
            "level": len(self.approvals)
        }


def approval_items(user: User) -> list[ApprovalItem]:
    """The plans awaiting approval that `user` may see, oldest first (three queries)."""
    limits = user_limits(user)
    plans = (
        Plan.objects.visible_to(user)
        .filter(status=PlanStatus.PENDING_APPROVAL)
        .select_related("case", "case__borrower", "proposed_by", "proposed_by_platform")
        .prefetch_related("approvals__user")
        .order_by("created_at", "id")
    )
    items = []
    for plan in plans:
        approvals = list(plan.approvals.all())
        if plan.proposed_by_id == user.pk:
            blocked = _("You proposed this plan: someone else approves it.")
        elif any(a.user_id == user.pk for a in approvals):
            blocked = _("You approved this plan: another approver must decide.")
        else:
            blocked = ""
        items.append(
            ApprovalItem(
                plan=plan,
                approvals=approvals,
                can_decide=not blocked,
                activates=limits.allow(discount_percent=plan.discount_percent, term_months=plan.term_months),
                blocked_because=str(blocked),
            )
        )
    return items


def approval_limits(user: User) -> dict[str, Limits]:
    """The limits that apply on the approvals page: the viewer's, a supervisor's, and the absolute ones."""
    return {"yours": user_limits(user), "supervisor": supervisor_limits(), "absolute": absolute_limits()}
