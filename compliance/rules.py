"""The rules of RULES.md as pure functions of (action, facts, params).

No database access here: the gate gathers facts (compliance.facts), evaluates, and stores all three, so
that `compliance_replay` can evaluate a stored decision again and compare. Every rule returns a
RuleResult, passed or not, with its message in English and Chinese; time-based rules also say when they
would next pass, which `decide()` combines into next_allowed_at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, overload

from borrowers.zones import UTC, local_day, local_wall_time, parse_hhmm, start_of_local_day, tz

from . import screening

CONVERSATION = frozenset({"connected", "right_party", "promise", "refused", "dispute"})
UNANSWERED = frozenset({"no_answer", "busy", "voicemail", "wrong_number", "failed"})

HOLD_RULES: dict[str, tuple[str, ...]] = {
    "hold_cease": ("cease",),
    "hold_attorney": ("attorney",),
    "hold_dispute": ("dispute",),
    "hold_bankruptcy": ("bankruptcy",),
    "hold_deceased": ("deceased",),
    "hold_breathing_space": ("breathing_space", "mental_health_crisis"),
    # A delinquency pause (cases.pauses) stops every outbound action about its loan.
    "hold_paused": ("paused",),
}

# code → (English, Chinese) message templates, formatted with the rule's detail.
MESSAGES: dict[str, tuple[str, str]] = {
    "hold_cease": ("The borrower asked us to stop contacting them.", "借款人已要求停止联系。"),
    "hold_attorney": (
        "The borrower is represented by an attorney: contact the attorney instead.",
        "借款人已委托律师，请联系其律师。",
    ),
    "hold_dispute": ("The debt is disputed: collection on this loan is on hold.", "该笔债务存在争议，暂停催收。"),
    "hold_bankruptcy": ("The borrower is in bankruptcy: no outreach.", "借款人处于破产程序中，禁止联系。"),
    "hold_deceased": ("The borrower is deceased: no outreach.", "借款人已身故，禁止联系。"),
    "hold_breathing_space": (
        "The borrower is in a breathing space or mental health crisis moratorium.",
        "借款人处于债务喘息期或心理危机暂停期。",
    ),
    "hold_paused": (
        "The loan's delinquency is paused: no collection outreach about it.",
        "该笔借款已暂停逾期计算，暂停催收联系。",
    ),
    "opted_out": ("The borrower opted out of this channel{to_en}.", "借款人已退订该渠道{to_zh}。"),
    "work_contact_prohibited": (
        "Contact at the borrower's workplace is not allowed.",
        "不得在借款人工作单位或通过工作电话联系。",
    ),
    "prohibited_content": (
        "The message contains prohibited wording: {terms}.",
        "消息包含禁止使用的内容：{terms}。",
    ),
    "vulnerable_limit": (
        "The borrower is vulnerable ({kinds}): {what_en}.",
        "借款人属于特殊群体（{kinds}）：{what_zh}。",
    ),
    "unknown_timezone": (
        "The borrower's time zone is unknown: set a time zone or region.",
        "无法确定借款人所在时区，请设置时区或地区。",
    ),
    "quiet_hours": (
        "Outside the permitted hours {start}-{end} local time ({local}).",
        "不在允许的联系时间 {start}-{end}（当地时间 {local}）。",
    ),
    "daily_answered_cap": (
        "{count} answered calls today already (limit {limit} per day).",
        "今日已接通 {count} 次（每日上限 {limit} 次）。",
    ),
    "daily_unanswered_cap": (
        "{count} unanswered calls to this number today already (limit {limit}).",
        "今日对该号码的未接通呼叫已达 {count} 次（上限 {limit} 次）。",
    ),
    "third_party_borrower_reachable": (
        "A third party may be contacted only while the borrower cannot be reached.",
        "只有在无法联系到借款人本人时才可联系第三方。",
    ),
    "third_party_refused": (
        "This third party refused earlier contact and may not be contacted again.",
        "该第三方此前已拒绝联系，不得再次联系。",
    ),
    "third_party_debt_disclosure": (
        "A message to a third party must not mention the debt ({terms}).",
        "发给第三方的消息不得提及债务（{terms}）。",
    ),
    "visit_requires_two_collectors": (
        "A field visit needs at least {limit} collectors.",
        "外访至少需要 {limit} 名催收人员。",
    ),
    "call_frequency_7in7": (
        "{count} call attempts about this loan in the last 7 days (limit {limit}).",
        "近 7 天内就该笔贷款已呼叫 {count} 次（上限 {limit} 次）。",
    ),
    "conversation_cooldown": (
        "A conversation about this loan took place on {day}: no further calls for 7 days.",
        "已于 {day} 就该笔贷款与借款人通话，7 天内不得再次致电。",
    ),
    "no_autodial_consent": (
        "No consent to automated calls or texts on this mobile number.",
        "该手机号未同意接收自动拨打的电话或短信。",
    ),
    "missing_opt_out": (
        "The message must say how to opt out ({keywords}).",
        "消息必须说明退订方式（{keywords}）。",
    ),
    "work_email": ("No email to a work address.", "不得向工作邮箱发送邮件。"),
    "time_barred_threat": (
        "The debt is time-barred: the message may not mention legal action ({terms}).",
        "该债务已过诉讼时效，消息不得提及法律行动（{terms}）。",
    ),
    "voicemail_content": (
        "A voicemail may hold only a name, a request to reply, a phone number and how to opt out; "
        "this one also says {terms}.",
        "语音留言只能包含姓名、回电请求、电话号码和退订方式；本留言还提到了{terms}。",
    ),
    "third_party_repeat": (
        "This third party has already been contacted once.",
        "该第三方已联系过一次，不得再次联系。",
    ),
    "state_frequency_cap": ("State limit reached: {what_en}.", "已达州法规定的联系上限：{what_zh}。"),
    "call_frequency_cap": ("Call limit reached: {what_en}.", "已达呼叫次数上限：{what_zh}。"),
    "pressure_content": (
        "The message puts undue pressure on a borrower in difficulty ({terms}).",
        "消息对处境困难的借款人施加了不当压力（{terms}）。",
    ),
    "borrower_preference": (
        "The borrower said {window} is inconvenient ({local}).",
        "借款人表示 {window} 不方便联系（当地时间 {local}）。",
    ),
    "validation_dispute": (
        "The debt was disputed within the validation period on {day}: no collection until verification is recorded.",
        "借款人已于 {day} 在债务核实期内提出异议：记录核实结果前暂停催收。",
    ),
}


@dataclass
class RuleResult:
    code: str
    pack: str
    passed: bool
    message_en: str = ""
    message_zh: str = ""
    next_allowed_at: dt.datetime | None = None
    time_based: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies recursively and cost the gate ~1 ms a decision.
        return {
            "code": self.code,
            "pack": self.pack,
            "passed": self.passed,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "next_allowed_at": self.next_allowed_at.isoformat() if self.next_allowed_at else None,
            "time_based": self.time_based,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class Entry:
    """One earlier contact from the log, as stored in the facts."""

    at: dt.datetime
    channel: str
    direction: str
    party: str
    third_party_id: int | None
    to: str
    to_kind: str
    at_work: bool
    loan_id: int | None
    outcome: str
    consented: bool

    @property
    def outbound(self) -> bool:
        return self.direction == "outbound"

    @property
    def pending(self) -> bool:
        return self.outbound and not self.outcome

    @property
    def is_conversation(self) -> bool:
        return self.channel == "call" and self.party == "borrower" and self.outcome in CONVERSATION


@dataclass
class Ctx:
    action: dict[str, Any]
    facts: dict[str, Any]
    params: dict[str, dict[str, Any]]
    at: dt.datetime
    zones: list[str]
    primary: str
    history: list[Entry]

    @property
    def day(self) -> dt.date:
        return local_day(self.at, self.primary)

    def entry_day(self, entry: Entry) -> dt.date:
        return local_day(entry.at, self.primary)

    def next_midnight(self) -> dt.datetime:
        return start_of_local_day(self.day + dt.timedelta(days=1), self.primary)

    @property
    def channel(self) -> str:
        return self.action["channel"]

    @property
    def to_borrower(self) -> bool:
        return self.action.get("party", "borrower") == "borrower"

    def about_loan(self, entry: Entry) -> bool:
        """Per-loan counting: an attempt without a loan, or an action without one, could be about
        any loan, so it counts (the safe side)."""
        loan = self.action.get("loan_id")
        return loan is None or entry.loan_id is None or entry.loan_id == loan


@overload
def parse_dt(value: str) -> dt.datetime: ...
@overload
def parse_dt(value: str | None) -> dt.datetime | None: ...
def parse_dt(value: str | None) -> dt.datetime | None:
    """An ISO timestamp of the facts, in UTC; None for an absent one (a present one is never empty)."""
    return dt.datetime.fromisoformat(value).astimezone(UTC) if value else None


def _result(
    code: str, pack: str, passed: bool, *, next_at: dt.datetime | None = None, time_based: bool = False, **detail: Any
) -> RuleResult:
    en, zh = MESSAGES[code]
    if passed:
        return RuleResult(code, pack, True, time_based=time_based, detail=detail)
    return RuleResult(
        code,
        pack,
        False,
        en.format(**detail),
        zh.format(**detail),
        next_allowed_at=next_at,
        time_based=time_based,
        detail=detail,
    )


def _window_count_and_next(days: list[dt.date], ctx: Ctx, limit: int, window: int) -> tuple[int, dt.datetime | None]:
    """Count of days within the `window` local days ending today and, when at the limit, the start of
    the first local day on which the window holds fewer than `limit` (older attempts fall out)."""
    first = ctx.day - dt.timedelta(days=window - 1)
    count = sum(1 for d in days if first <= d <= ctx.day)
    if count < limit:
        return count, None
    later = ctx.day
    while True:
        later += dt.timedelta(days=1)
        start = later - dt.timedelta(days=window - 1)
        if sum(1 for d in days if start <= d <= later) < limit:
            return count, start_of_local_day(later, ctx.primary)


# --- rules in every pack ------------------------------------------------------------------------------------


def _active_holds(ctx: Ctx) -> list[dict[str, Any]]:
    out = []
    loan = ctx.action.get("loan_id")
    for hold in ctx.facts.get("holds", []):
        starts, ends = parse_dt(hold["starts_at"]), parse_dt(hold.get("ends_at"))
        if not (starts <= ctx.at and (ends is None or ctx.at < ends)):
            continue
        # A hold on one loan applies to actions about that loan, and to actions about no loan in
        # particular (which could be about it).
        if hold.get("loan_id") is not None and loan is not None and hold["loan_id"] != loan:
            continue
        out.append(hold)
    return out


def hold_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    kinds = {h["kind"] for h in _active_holds(ctx)}
    results = []
    for code, hold_kinds in HOLD_RULES.items():
        blocked = bool(kinds.intersection(hold_kinds))
        if code == "hold_attorney" and not ctx.to_borrower:
            blocked = False  # the attorney hold protects the borrower; third parties are ruled elsewhere
        results.append(_result(code, pack, not blocked))
    return results


def opted_out(ctx: Ctx, pack: str) -> RuleResult:
    to = ctx.action.get("to") or ""
    for opt in ctx.facts.get("opt_outs", []):
        if opt["channel"] != ctx.channel:
            continue
        if (not opt["to"] and ctx.to_borrower) or (opt["to"] and opt["to"] == to):
            return _result(
                code="opted_out",
                pack=pack,
                passed=False,
                to_en=f" ({opt['to']})" if opt["to"] else "",
                to_zh=f"（{opt['to']}）" if opt["to"] else "",
            )
    return _result("opted_out", pack, True)


def work_contact_prohibited(ctx: Ctx, pack: str) -> RuleResult:
    target = ctx.facts.get("target", {})
    at_work = (ctx.channel == "call" and target.get("kind") == "work") or (
        ctx.channel == "visit" and bool(ctx.action.get("at_work"))
    )
    no_work_hold = any(h["kind"] == "no_work_contact" for h in _active_holds(ctx))
    blocked = (ctx.channel == "call" and bool(target.get("work_contact_prohibited"))) or (at_work and no_work_hold)
    return _result("work_contact_prohibited", pack, not blocked)


def prohibited_content(ctx: Ctx, pack: str) -> RuleResult:
    findings = screening.screen_text(ctx.action.get("message") or "")
    terms = screening.describe(findings)
    return _result(
        "prohibited_content", pack, not findings, terms=terms, categories=sorted({f.category for f in findings})
    )


def vulnerable_limit(ctx: Ctx, pack: str) -> RuleResult:
    kinds = ctx.facts.get("borrower", {}).get("vulnerabilities", [])
    p = ctx.params[pack]["vulnerable_limit"]
    if not kinds or not ctx.to_borrower:
        return _result("vulnerable_limit", pack, True)
    kinds_s = ", ".join(kinds)
    if ctx.channel == "visit" and not p["visits_allowed"]:
        return _result("vulnerable_limit", pack, False, kinds=kinds_s, what_en="no field visits", what_zh="禁止外访")
    if ctx.channel != "call":
        return _result("vulnerable_limit", pack, True)
    limit = p["max_calls_per_day"]
    count = sum(
        1
        for e in ctx.history
        if e.outbound and e.channel == "call" and e.party == "borrower" and ctx.entry_day(e) == ctx.day
    )
    if count < limit:
        return _result("vulnerable_limit", pack, True, time_based=True, count=count, limit=limit)
    return _result(
        "vulnerable_limit",
        pack,
        False,
        next_at=ctx.next_midnight(),
        time_based=True,
        kinds=kinds_s,
        count=count,
        limit=limit,
        what_en=f"at most {limit} call attempt(s) per day",
        what_zh=f"每日最多呼叫 {limit} 次",
    )


def unknown_timezone(ctx: Ctx, pack: str) -> RuleResult:
    return _result("unknown_timezone", pack, bool(ctx.zones))


# Channels that reach the borrower at the moment they are sent. An e-mail counts (Regulation F takes an
# electronic communication as made when it is sent, and the packs' quiet hours apply to e-mail too); a
# letter does not (it arrives with the post, which the collector does not time: as for quiet hours).
INCONVENIENT_TIME_CHANNELS = frozenset({"call", "sms", "push", "visit", "email"})


def _inconvenient_until(local: dt.datetime, window: dict[str, Any], zone: str) -> dt.datetime | None:
    """When `local` lies inside the borrower's window, the window's end (an aware time); else None.

    A window is wall-clock [start, end) on the borrower's clock, on the weekdays in "days" (Monday 0;
    absent: every day), the weekday being that of the day the window starts; an end at or before the
    start runs into the next day (22:00-07:00; 00:00-00:00 is the whole day)."""
    start, end = parse_hhmm(window["start"]), parse_hhmm(window["end"])
    days = window.get("days")
    on = set(days) if days else set(range(7))
    t, d = local.time().replace(tzinfo=None), local.date()
    if end > start:
        if d.weekday() in on and start <= t < end:
            return local_wall_time(d, end, zone)
        return None
    if d.weekday() in on and t >= start:
        return local_wall_time(d + dt.timedelta(days=1), end, zone)
    if (d - dt.timedelta(days=1)).weekday() in on and t < end:
        return local_wall_time(d, end, zone)
    return None


def borrower_preference(ctx: Ctx, pack: str) -> RuleResult:
    """Times the borrower named as inconvenient, on their clock: checked in every candidate zone (the
    borrower's own clock is one of them, and the gate does not know which), like quiet hours."""
    windows = ctx.facts.get("borrower", {}).get("inconvenient_times") or []
    code = "borrower_preference"
    if not windows or not ctx.to_borrower or ctx.channel not in INCONVENIENT_TIME_CHANNELS or not ctx.zones:
        return _result(code, pack, True, time_based=True)
    inside: dict[str, str] = {}
    named: list[str] = []
    ends: list[dt.datetime] = []
    for zone in ctx.zones:
        local = ctx.at.astimezone(tz(zone))
        for window in windows:
            until = _inconvenient_until(local, window, zone)
            if until is None:
                continue
            inside[zone] = local.strftime("%Y-%m-%d %H:%M")
            label = f"{window['start']}-{window['end']}"
            if label not in named:
                named.append(label)
            ends.append(until)
    if not inside:
        return _result(code, pack, True, time_based=True)
    return _result(
        code,
        pack,
        False,
        next_at=max(ends),
        time_based=True,
        window=", ".join(named),
        local=", ".join(f"{z} {t}" for z, t in inside.items()),
        inside=inside,
    )


def common_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    return [
        *hold_rules(ctx, pack),
        opted_out(ctx, pack),
        work_contact_prohibited(ctx, pack),
        prohibited_content(ctx, pack),
        vulnerable_limit(ctx, pack),
        unknown_timezone(ctx, pack),
        borrower_preference(ctx, pack),
    ]


# --- rules shared by several packs ------------------------------------------------------------------------


def quiet_hours(ctx: Ctx, pack: str) -> RuleResult:
    p = ctx.params[pack]["quiet_hours"]
    if ctx.channel in p["exempt_channels"] or not ctx.zones:
        return _result("quiet_hours", pack, True, time_based=True)
    start, end = parse_hhmm(p["start"]), parse_hhmm(p["end"])
    outside: dict[str, str] = {}
    next_starts: list[dt.datetime] = []
    for zone in ctx.zones:
        local = ctx.at.astimezone(tz(zone))
        if start <= local.time().replace(tzinfo=None) < end:
            continue
        outside[zone] = local.strftime("%H:%M")
        day = local.date() if local.time() < start else local.date() + dt.timedelta(days=1)
        next_starts.append(local_wall_time(day, start, zone))
    if not outside:
        return _result("quiet_hours", pack, True, time_based=True)
    return _result(
        "quiet_hours",
        pack,
        False,
        next_at=max(next_starts),
        time_based=True,
        start=p["start"],
        end=p["end"],
        local=", ".join(f"{z} {t}" for z, t in outside.items()),
        outside=outside,
    )


def third_party_debt_disclosure(ctx: Ctx, pack: str) -> RuleResult:
    if ctx.to_borrower:
        return _result("third_party_debt_disclosure", pack, True)
    findings = screening.mentions_debt(ctx.action.get("message") or "")
    return _result("third_party_debt_disclosure", pack, not findings, terms=screening.describe(findings))


def _outbound_borrower_calls(ctx: Ctx) -> list[Entry]:
    return [e for e in ctx.history if e.outbound and e.channel == "call" and e.party == "borrower"]


# --- CN ---------------------------------------------------------------------------------------------------


def daily_answered_cap(ctx: Ctx, pack: str) -> RuleResult:
    if ctx.channel != "call" or not ctx.to_borrower:
        return _result("daily_answered_cap", pack, True, time_based=True)
    limit = ctx.params[pack]["daily_answered_cap"]["max_answered_calls"]
    # A pending attempt counts as answered until its outcome says otherwise: that is what stops two
    # collectors dialling at once from both getting through at the limit.
    count = sum(
        1
        for e in _outbound_borrower_calls(ctx)
        if ctx.entry_day(e) == ctx.day and (e.pending or e.outcome in CONVERSATION)
    )
    passed = count < limit
    return _result(
        "daily_answered_cap",
        pack,
        passed,
        next_at=None if passed else ctx.next_midnight(),
        time_based=True,
        count=count,
        limit=limit,
    )


def daily_unanswered_cap(ctx: Ctx, pack: str) -> RuleResult:
    to = ctx.action.get("to") or ""
    if ctx.channel != "call" or not to:
        return _result("daily_unanswered_cap", pack, True, time_based=True)
    limit = ctx.params[pack]["daily_unanswered_cap"]["max_unanswered_per_number"]
    count = sum(
        1
        for e in ctx.history
        if e.outbound
        and e.channel == "call"
        and e.to == to
        and ctx.entry_day(e) == ctx.day
        and (e.pending or e.outcome in UNANSWERED)
    )
    passed = count < limit
    return _result(
        "daily_unanswered_cap",
        pack,
        passed,
        next_at=None if passed else ctx.next_midnight(),
        time_based=True,
        count=count,
        limit=limit,
    )


def third_party_borrower_reachable(ctx: Ctx, pack: str) -> RuleResult:
    if ctx.to_borrower:
        return _result("third_party_borrower_reachable", pack, True)
    p = ctx.params[pack]["third_party_borrower_reachable"]
    phones = ctx.facts.get("borrower", {}).get("phones", [])
    all_invalid = all(ph["invalid"] for ph in phones)
    last = ctx.facts.get("borrower_last_calls", [])[: p["unanswered_attempts"]]
    all_unanswered = len(last) >= p["unanswered_attempts"] and all(o in UNANSWERED for o in last)
    since = ctx.day - dt.timedelta(days=p["no_conversation_days"] - 1)
    recent_conversation = any(e.is_conversation and since <= ctx.entry_day(e) <= ctx.day for e in ctx.history)
    unreachable = all_invalid or (all_unanswered and not recent_conversation)
    return _result(
        "third_party_borrower_reachable",
        pack,
        unreachable,
        all_phones_invalid=all_invalid,
        last_attempts_unanswered=all_unanswered,
        recent_conversation=recent_conversation,
    )


def third_party_refused(ctx: Ctx, pack: str) -> RuleResult:
    refused = not ctx.to_borrower and bool(ctx.facts.get("third_party", {}).get("refused"))
    return _result("third_party_refused", pack, not refused)


def visit_requires_two_collectors(ctx: Ctx, pack: str) -> RuleResult:
    limit = ctx.params[pack]["visit_requires_two_collectors"]["min_collectors"]
    passed = ctx.channel != "visit" or (ctx.action.get("collectors") or 0) >= limit
    return _result("visit_requires_two_collectors", pack, passed, limit=limit)


def cn_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    return [
        quiet_hours(ctx, pack),
        daily_answered_cap(ctx, pack),
        daily_unanswered_cap(ctx, pack),
        third_party_borrower_reachable(ctx, pack),
        third_party_refused(ctx, pack),
        third_party_debt_disclosure(ctx, pack),
        visit_requires_two_collectors(ctx, pack),
    ]


# --- US ---------------------------------------------------------------------------------------------------


def call_frequency_7in7(ctx: Ctx, pack: str) -> RuleResult:
    code = "call_frequency_7in7"
    if ctx.channel != "call" or not ctx.to_borrower or ctx.action.get("consented"):
        return _result(code, pack, True, time_based=True)
    p = ctx.params[pack][code]
    days = [ctx.entry_day(e) for e in _outbound_borrower_calls(ctx) if not e.consented and ctx.about_loan(e)]
    count, next_at = _window_count_and_next(days, ctx, p["max_attempts"], p["window_days"])
    return _result(code, pack, next_at is None, next_at=next_at, time_based=True, count=count, limit=p["max_attempts"])


def conversation_cooldown(ctx: Ctx, pack: str) -> RuleResult:
    code = "conversation_cooldown"
    if ctx.channel != "call" or not ctx.to_borrower:
        return _result(code, pack, True, time_based=True)
    days_blocked = ctx.params[pack][code]["days"]
    conv_days = [ctx.entry_day(e) for e in ctx.history if e.is_conversation and ctx.about_loan(e)]
    # Day D is day 1: blocked through D+6, allowed from D+7 00:00 local.
    blocking = [d for d in conv_days if d <= ctx.day < d + dt.timedelta(days=days_blocked)]
    if not blocking:
        return _result(code, pack, True, time_based=True)
    last = max(blocking)
    return _result(
        code,
        pack,
        False,
        next_at=start_of_local_day(last + dt.timedelta(days=days_blocked), ctx.primary),
        time_based=True,
        day=last.isoformat(),
    )


def no_autodial_consent(ctx: Ctx, pack: str) -> RuleResult:
    target = ctx.facts.get("target", {})
    needs = target.get("is_mobile") and (
        ctx.channel == "sms" or (ctx.channel == "call" and bool(ctx.action.get("autodialed")))
    )
    return _result("no_autodial_consent", pack, not needs or bool(target.get("autodial_consent")))


def missing_opt_out(ctx: Ctx, pack: str) -> RuleResult:
    keywords = ctx.params[pack]["missing_opt_out"].get(ctx.channel)
    message = ctx.action.get("message") or ""
    # Only a message we are shown can be checked; a check without text asks about timing only.
    if not keywords or not message.strip():
        return _result("missing_opt_out", pack, True)
    return _result("missing_opt_out", pack, screening.contains_keyword(message, keywords), keywords=", ".join(keywords))


def work_email(ctx: Ctx, pack: str) -> RuleResult:
    blocked = ctx.channel == "email" and ctx.facts.get("target", {}).get("kind") == "work"
    return _result("work_email", pack, not blocked)


def time_barred_threat(ctx: Ctx, pack: str) -> RuleResult:
    barred_on = (ctx.facts.get("loan") or {}).get("statute_limitations_date")
    if not barred_on or ctx.day <= dt.date.fromisoformat(barred_on):
        return _result("time_barred_threat", pack, True)
    findings = screening.mentions_legal_action(ctx.action.get("message") or "")
    return _result("time_barred_threat", pack, not findings, terms=screening.describe(findings))


def voicemail_content(ctx: Ctx, pack: str) -> RuleResult:
    """Regulation F 1006.2(j): a voicemail left for the borrower is a limited-content message, or it is
    blocked. Judged when the action reports a `voicemail` outcome with the message left."""
    message = ctx.action.get("message") or ""
    if ctx.channel != "call" or ctx.action.get("outcome") != "voicemail" or not message:
        return _result("voicemail_content", pack, True)
    findings = screening.beyond_limited_content(message)
    return _result("voicemail_content", pack, not findings, terms=screening.describe(findings))


def third_party_repeat(ctx: Ctx, pack: str) -> RuleResult:
    if ctx.to_borrower:
        return _result("third_party_repeat", pack, True)
    limit = ctx.params[pack]["third_party_repeat"]["max_contacts"]
    count = ctx.facts.get("third_party", {}).get("prior_outbound", 0)
    return _result("third_party_repeat", pack, count < limit, count=count, limit=limit)


def validation_dispute(ctx: Ctx, pack: str) -> RuleResult:
    """Regulation F 1006.34 / FDCPA 809(b): a debt disputed within its validation period is not collected
    (no outbound contact about it, with anyone) until verification is recorded. The facts list each
    notice of the borrower with a dispute inside its period; a notice's loan is the one it validates."""
    loan = ctx.action.get("loan_id")
    for notice in ctx.facts.get("validation_disputes", []):
        disputed, verified = parse_dt(notice["disputed_at"]), parse_dt(notice.get("verified_at"))
        if disputed > ctx.at or (verified is not None and verified <= ctx.at):
            continue
        if loan is not None and notice.get("loan_id") is not None and notice["loan_id"] != loan:
            continue
        day = local_day(disputed, ctx.primary).isoformat()
        return _result("validation_dispute", pack, False, day=day, notice_id=notice.get("id"))
    return _result("validation_dispute", pack, True)


def us_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    return [
        quiet_hours(ctx, pack),
        call_frequency_7in7(ctx, pack),
        conversation_cooldown(ctx, pack),
        no_autodial_consent(ctx, pack),
        missing_opt_out(ctx, pack),
        work_email(ctx, pack),
        time_barred_threat(ctx, pack),
        voicemail_content(ctx, pack),
        validation_dispute(ctx, pack),
        third_party_repeat(ctx, pack),
        third_party_debt_disclosure(ctx, pack),
    ]


def _windows(ctx: Ctx, checks: list[tuple[list[dt.date], int, int, str, str]], pack: str, code: str) -> RuleResult:
    """A rule made of several rolling-window caps: fails if any is at its limit."""
    failing_en, failing_zh, next_ats, counts = [], [], [], {}
    for days, limit, window, en, zh in checks:
        count, next_at = _window_count_and_next(days, ctx, limit, window)
        counts[en] = {"count": count, "limit": limit, "window_days": window}
        if next_at is not None:
            failing_en.append(en)
            failing_zh.append(zh)
            next_ats.append(next_at)
    if not next_ats:
        return _result(code, pack, True, time_based=True, counts=counts)
    return _result(
        code,
        pack,
        False,
        next_at=max(next_ats),
        time_based=True,
        counts=counts,
        what_en="; ".join(failing_en),
        what_zh="；".join(failing_zh),
    )


def us_ma_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    p = ctx.params[pack]["state_frequency_cap"]
    if not ctx.to_borrower or ctx.channel not in ("call", "sms", "visit"):
        return [_result("state_frequency_cap", pack, True, time_based=True)]
    checks = []
    if ctx.channel in ("call", "sms"):
        personal = ctx.facts.get("target", {}).get("kind") != "work"
        phone = [
            e
            for e in ctx.history
            if e.outbound and e.party == "borrower" and e.channel in ("call", "sms") and ctx.about_loan(e)
        ]
        if personal:
            days = [ctx.entry_day(e) for e in phone if e.to_kind != "work"]
            checks.append(
                (
                    days,
                    p["personal_phone_max"],
                    p["personal_phone_days"],
                    "calls and texts to home or mobile numbers",
                    "对住宅或手机号的电话和短信",
                )
            )
        else:
            days = [ctx.entry_day(e) for e in phone if e.to_kind == "work"]
            checks.append(
                (
                    days,
                    p["other_phone_max"],
                    p["other_phone_days"],
                    "calls and texts to other numbers",
                    "对其他号码的电话和短信",
                )
            )
    else:
        days = [
            ctx.entry_day(e)
            for e in ctx.history
            if e.outbound and e.party == "borrower" and e.channel == "visit" and ctx.about_loan(e)
        ]
        checks.append((days, p["visit_max"], p["visit_days"], "field visits", "外访"))
    return [_windows(ctx, checks, pack, "state_frequency_cap")]


def us_wa_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    p = ctx.params[pack]["state_frequency_cap"]
    if not ctx.to_borrower:
        return [_result("state_frequency_cap", pack, True, time_based=True)]
    sent = [e for e in ctx.history if e.outbound and e.party == "borrower"]
    checks = [([ctx.entry_day(e) for e in sent], p["max"], p["days"], "communications", "联系次数")]
    target_kind = ctx.facts.get("target", {}).get("kind")
    if target_kind == "work" or (ctx.channel == "visit" and ctx.action.get("at_work")):
        at_work = [ctx.entry_day(e) for e in sent if e.to_kind == "work" or e.at_work]
        checks.append((at_work, p["work_max"], p["work_days"], "communications at work", "工作场所联系次数"))
    return [_windows(ctx, checks, pack, "state_frequency_cap")]


# --- UK ---------------------------------------------------------------------------------------------------


def call_frequency_cap(ctx: Ctx, pack: str) -> RuleResult:
    if ctx.channel != "call" or not ctx.to_borrower:
        return _result("call_frequency_cap", pack, True, time_based=True)
    p = ctx.params[pack]["call_frequency_cap"]
    days = [ctx.entry_day(e) for e in _outbound_borrower_calls(ctx)]
    return _windows(
        ctx,
        [
            (days, p["max_per_day"], 1, f"{p['max_per_day']} call attempts per day", f"每日 {p['max_per_day']} 次呼叫"),
            (
                days,
                p["max_per_window"],
                p["window_days"],
                f"{p['max_per_window']} call attempts per {p['window_days']} days",
                f"每 {p['window_days']} 天 {p['max_per_window']} 次呼叫",
            ),
        ],
        pack,
        "call_frequency_cap",
    )


def pressure_content(ctx: Ctx, pack: str) -> RuleResult:
    borrower = ctx.facts.get("borrower", {})
    if not (borrower.get("vulnerabilities") or borrower.get("has_active_plan")):
        return _result("pressure_content", pack, True)
    findings = screening.mentions_pressure(ctx.action.get("message") or "")
    return _result("pressure_content", pack, not findings, terms=screening.describe(findings))


def uk_rules(ctx: Ctx, pack: str) -> list[RuleResult]:
    return [quiet_hours(ctx, pack), call_frequency_cap(ctx, pack), pressure_content(ctx, pack)]


PACK_RULES: dict[str, Callable[[Ctx, str], list[RuleResult]]] = {
    "COMMON": common_rules,
    "CN": cn_rules,
    "US": us_rules,
    "US-MA": us_ma_rules,
    "US-WA": us_wa_rules,
    "UK": uk_rules,
}


# --- evaluation ---------------------------------------------------------------------------------------------


def _history(facts: dict[str, Any]) -> list[Entry]:
    return [
        Entry(
            at=parse_dt(h["at"]),
            channel=h["channel"],
            direction=h["direction"],
            party=h["party"],
            third_party_id=h.get("third_party_id"),
            to=h.get("to") or "",
            to_kind=h.get("to_kind") or "",
            at_work=bool(h.get("at_work")),
            loan_id=h.get("loan_id"),
            outcome=h.get("outcome") or "",
            consented=bool(h.get("consented")),
        )
        for h in facts.get("history", [])
    ]


def evaluate(
    action: dict[str, Any], facts: dict[str, Any], params: dict[str, dict[str, Any]], at: dt.datetime | None = None
) -> list[RuleResult]:
    """Every rule of every pack in `params` (COMMON first), evaluated at `at` (default: the action's)."""
    zones = facts.get("zones", {}).get("candidates", [])
    primary = facts.get("zones", {}).get("primary") or (zones[0] if zones else "UTC")
    ctx = Ctx(
        action=action,
        facts=facts,
        params=params,
        at=at or parse_dt(action["at"]),
        zones=zones,
        primary=primary,
        history=_history(facts),
    )
    results: list[RuleResult] = []
    for pack in params:
        results += PACK_RULES[pack](ctx, pack)
    return results


@dataclass
class Verdict:
    allowed: bool
    results: list[RuleResult]
    next_allowed_at: dt.datetime | None

    @property
    def reasons(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]


def decide(action: dict[str, Any], facts: dict[str, Any], params: dict[str, dict[str, Any]]) -> Verdict:
    """Evaluate, and when only time-based rules fail, find the earliest instant at which all pass with
    the same history: jump to the latest of the failing rules' next times and evaluate again (a quiet-
    hours jump can land on a day that a cap still blocks, and the reverse), until everything passes."""
    results = evaluate(action, facts, params)
    failing = [r for r in results if not r.passed]
    if not failing:
        return Verdict(True, results, None)
    next_at: dt.datetime | None = None
    current = failing
    for _ in range(32):
        if any(not r.time_based or r.next_allowed_at is None for r in current):
            next_at = None
            break
        candidate = max(r.next_allowed_at for r in current)  # type: ignore[type-var]
        current = [r for r in evaluate(action, facts, params, at=candidate) if not r.passed]
        if not current:
            next_at = candidate
            break
    return Verdict(False, results, next_at)
