"""The gate's answer before anyone acts, for display: "what would the gate say right now?"

The collector's pages preview every contact point of a case and the queue marks who may be called now.
A preview feeds the gate's own pure rules (`rules.decide`) with its own facts (`facts.gather_facts`),
built from rows loaded *in bulk* (a handful of queries for a whole queue page), and writes nothing: the
gate's dry run records a decision, and a page view must not write one decision per row. The
authoritative check is `outreach_authorize` when the collector acts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q
from django.utils import translation

from borrowers.models import Borrower, Channel, Hold
from borrowers.zones import candidate_zones, parse_hhmm, tz
from contacts.models import ContactAttempt, Direction

from . import packs
from .facts import LOG_FIELDS, PENDING_SKEW, BorrowerState, build_action, gather_facts, normalise_to, state_from_models
from .models import ValidationNotice
from .rules import RuleResult, decide

# A preview has no message yet; every template carries its opt-out line, so the preview judges SMS and
# email as carrying one. The gate screens the real text at send time.
PREVIEW_MESSAGE: dict[str, str] = {
    Channel.SMS: "Reply STOP to opt out.",
    Channel.EMAIL: "Reply 'unsubscribe' to unsubscribe.",
}


@dataclass
class BorrowerHistory:
    """Everything the rules read about one borrower, loaded in bulk for many borrowers at once."""

    borrower: Borrower
    contacts: list[ContactAttempt] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    has_active_plan: bool = False
    # Validation notices disputed inside their period, verification not yet recorded (US).
    validation_notices: list[ValidationNotice] = field(default_factory=list)
    # The gate's view of the same rows, built on the first preview (at that preview's time).
    state: BorrowerState | None = None


@dataclass
class Verdict:
    """The preview of one action: allowed or not, why (in the active language), and until when."""

    channel: str
    allowed: bool
    reasons: list[RuleResult]
    next_allowed_at: dt.datetime | None
    to: str = ""
    label: str = ""
    point: str = ""  # the form value naming the contact point ("phone:12", "email:3", "address")
    # Every rule the gate evaluated, passed ones too: their details carry the counts against each cap.
    results: list[RuleResult] = field(default_factory=list)

    @property
    def reason_texts(self) -> list[str]:
        chinese = (translation.get_language() or "en").startswith("zh")
        return [(r.message_zh if chinese else r.message_en) or r.code for r in self.reasons]

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


def load_histories(borrowers: Sequence[Borrower], *, at: dt.datetime) -> dict[int, BorrowerHistory]:
    """Contact log, holds, active plans (and, for US borrowers, disputed validation notices) of many
    borrowers in three queries (four with US borrowers).

    The borrowers must come with `phones`, `emails`, `opt_outs` prefetched and `platform` joined.
    """
    histories = {b.pk: BorrowerHistory(borrower=b) for b in borrowers}
    if not histories:
        return histories
    history_days = packs.active_params("COMMON")["history_days"]
    # One window wide enough for every borrower's zone (as the gate reads it); gather_facts cuts each.
    since = at - dt.timedelta(days=history_days + 2)
    upto = Q(at__lte=at) | Q(outcome="", direction=Direction.OUTBOUND, at__lte=at + PENDING_SKEW)
    log = (
        ContactAttempt.objects.filter(upto, borrower_id__in=histories, at__gte=since)
        .only("borrower_id", *LOG_FIELDS)
        .order_by("at", "id")
    )
    for contact in log:
        histories[contact.borrower_id].contacts.append(contact)
    for hold in Hold.objects.filter(borrower_id__in=histories).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at)):
        histories[hold.borrower_id].holds.append(hold)
    # By name: repayment plans sit above the gate (the gate's own read does the same, facts.read_state).
    plan = apps.get_model("repayment_plans", "Plan")
    active_plans = plan.objects.filter(case__borrower_id__in=histories, status__in=("active", "approved")).values_list(
        "case__borrower_id", flat=True
    )
    for borrower_id in active_plans:
        histories[borrower_id].has_active_plan = True
    # Validation notices exist for US borrowers only (the gate schedules them under the US pack).
    us = [b.pk for b in borrowers if b.region.upper().startswith("US-")]
    if us:
        disputed = ValidationNotice.objects.filter(
            borrower_id__in=us, disputed_at__isnull=False, verified_at__isnull=True
        ).only("id", "borrower_id", "case_id", "loan_id", "disputed_at", "verified_at")
        for notice in disputed:
            histories[notice.borrower_id].validation_notices.append(notice)
    return histories


def preview(
    history: BorrowerHistory,
    *,
    channel: str,
    to: str,
    at: dt.datetime,
    loan_id: int | None,
    case_id: int | None,
    collectors: int | None = None,
    message: str | None = None,
) -> Verdict:
    """The gate's verdict on an action about to be offered, without writing a decision. `message`: the
    text about to be sent (a template rendered for the case), screened by the gate's content rules; without
    it SMS and e-mail are judged as carrying their opt-out line."""
    borrower = history.borrower
    codes = packs.packs_for_region(borrower.region, borrower.platform.default_jurisdiction)
    params, _versions = packs.pack_params(codes)
    if history.state is None:
        cn = params.get("CN", packs.DEFAULT_PACKS["CN"])
        history.state = state_from_models(
            borrower,
            contacts=history.contacts,
            holds=history.holds,
            has_active_plan=history.has_active_plan,
            validation_notices=history.validation_notices,
            at=at,
            last_calls=cn["third_party_borrower_reachable"]["unanswered_attempts"],
        )
    action = build_action(
        channel=channel,
        party="borrower",
        to=normalise_to(to, channel=channel, region=borrower.region),
        third_party=None,
        loan=None,
        case_id=case_id,
        at=at,
        message=PREVIEW_MESSAGE.get(channel, "") if message is None else message,
        collectors=collectors,
        autodialed=False,
        consented=False,
        at_work=False,
    )
    action["loan_id"] = loan_id
    # The gate's own facts, from the rows loaded in bulk (no query per row).
    facts = gather_facts(
        borrower=history.state,
        action=action,
        third_party=None,
        loan=None,
        packs=codes,
        history_days=params["COMMON"]["history_days"],
    )
    verdict = decide(action, facts, params)
    return Verdict(
        channel=channel,
        allowed=verdict.allowed,
        reasons=verdict.reasons,
        next_allowed_at=verdict.next_allowed_at,
        to=action["to"],
        results=verdict.results,
    )


def callable_now(history: BorrowerHistory, *, at: dt.datetime, loan_id: int | None) -> Verdict:
    """Callable if any valid phone may be called now; otherwise the verdict that frees up first."""
    phones = [p for p in history.borrower.phones.all() if not p.invalid]
    if not phones:
        return Verdict(Channel.CALL, False, [], None, label="no_phone")
    verdicts = [
        preview(history, channel=Channel.CALL, to=p.number, at=at, loan_id=loan_id, case_id=None) for p in phones
    ]
    allowed = [v for v in verdicts if v.allowed]
    if allowed:
        return allowed[0]
    timed = [v for v in verdicts if v.next_allowed_at is not None]
    return min(timed, key=lambda v: v.next_allowed_at) if timed else verdicts[0]  # type: ignore[arg-type,return-value]


def calls_awake(pairs: Iterable[tuple[str, str, str]], *, at: dt.datetime) -> list[tuple[str, str]]:
    """Of (region, stated time zone, platform jurisdiction) triples, the (region, zone) pairs whose
    borrowers are outside every pack's quiet hours for calls at `at`, in each of their candidate zones.

    Pure time arithmetic per distinct pair (a few dozen at most): the queue filters and orders with it.
    """
    awake = []
    for region, zone_name, jurisdiction in pairs:
        zones, _sources = candidate_zones(borrower_tz=zone_name, region=region, channel=Channel.CALL, to="")
        if not zones:
            continue
        params, _versions = packs.pack_params(packs.packs_for_region(region, jurisdiction))
        ok = True
        for pack_params in params.values():
            quiet = pack_params.get("quiet_hours")
            if not quiet or Channel.CALL in quiet["exempt_channels"]:
                continue
            start, end = parse_hhmm(quiet["start"]), parse_hhmm(quiet["end"])
            ok = ok and all(start <= at.astimezone(tz(z)).time().replace(tzinfo=None) < end for z in zones)
        if ok:
            awake.append((region, zone_name))
    return awake


@dataclass(frozen=True)
class CapCount:
    """Where a borrower stands against one of the gate's counting caps: `count` of `limit` in the window."""

    code: str
    pack: str
    count: int
    limit: int
    window_days: int  # 1: the borrower's local day
    what: str = ""  # the pack's own words for a cap of several windows (state and UK caps)

    @property
    def reached(self) -> bool:
        return self.count >= self.limit


_WINDOW_DAYS = {"daily_answered_cap": 1, "daily_unanswered_cap": 1, "vulnerable_limit": 1}


def cap_counts(verdict: Verdict) -> list[CapCount]:
    """The counts against each cap that the gate's rules computed for this verdict (the same evaluation,
    passed rules included), in the order the rules ran. Caps without a window (third-party repeats) and
    rules that did not apply (no count) are left out."""
    caps: list[CapCount] = []
    for result in verdict.results:
        detail = result.detail
        if "count" in detail and "limit" in detail:
            window = _WINDOW_DAYS.get(result.code) or packs.active_params(result.pack).get(result.code, {}).get(
                "window_days"
            )
            if window:
                caps.append(CapCount(result.code, result.pack, int(detail["count"]), int(detail["limit"]), int(window)))
        for what, window_count in (detail.get("counts") or {}).items():
            caps.append(
                CapCount(
                    result.code,
                    result.pack,
                    int(window_count["count"]),
                    int(window_count["limit"]),
                    int(window_count["window_days"]),
                    what,
                )
            )
    return caps
