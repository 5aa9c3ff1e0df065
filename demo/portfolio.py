"""A believable demo portfolio and demo users, for `manage.py seed_demo` (the newcomer's `make run`).

Deterministic and idempotent on purpose: every record is first *planned* from one seeded random
generator and the date, then only the records whose natural key (platform + external id, username,
name) is missing are written. A second run plans the same portfolio, finds it all there and writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Agency, Platform, Role, SecondFactor, Team, User
from borrowers.models import Borrower, Email, Hold, HoldKind, OptOut, Phone, ThirdParty
from borrowers.models import Vulnerability as V
from cases.delinquency import refresh_delinquency
from cases.events import case_event_build, case_events_record
from cases.models import (
    ZERO,
    Case,
    CaseEvent,
    CaseStatus,
    Installment,
    Loan,
    Payment,
    PaymentAllocation,
    Product,
)
from cases.services import allocate

SEED = 20250715
DEMO_PASSWORD = "demo12345"  # noqa: S105 - published demo credentials, printed by seed_demo
BORROWER_COUNT = 300
CENT = Decimal("0.01")
INSTALLMENT_DAYS = 30

PLATFORMS = {
    "alpha": ("Alpha Lending", "CN"),
    "beta": ("Beta Wallet", "US"),
}
# The borrower portal of each demo platform: the second factor it asks for (the last four characters of the
# national id, as Chinese lenders do; the date of birth) and its payment page (a fictional .example host:
# the hand-off is what the demo shows, the payment itself would arrive through POST /payments/).
PLATFORM_PORTALS = {
    "alpha": (
        SecondFactor.NATIONAL_ID_LAST4,
        "https://pay.alpha-lending.example/checkout?amount={amount}&currency={currency}&ref={reference}",
    ),
    "beta": (
        SecondFactor.DATE_OF_BIRTH,
        "https://pay.beta-wallet.example/pay?amount={amount}&currency={currency}&loan={reference}",
    ),
}
TEAM_NAME = "East Team"
TEAM_ZONE = "Asia/Shanghai"  # the demo team works from Shanghai
AGENCY_NAME = "Acme Recoveries"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    language: str
    first_name: str
    last_name: str
    in_team: bool = False
    in_agency: bool = False
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS: list[DemoUser] = [
    DemoUser("collector", Role.COLLECTOR, "zh-hans", "王丽", "", in_team=True),
    DemoUser("collector2", Role.COLLECTOR, "en", "Sam", "Carter", in_team=True),
    DemoUser("supervisor", Role.SUPERVISOR, "en", "Grace", "Liu", in_team=True),
    DemoUser("compliance", Role.COMPLIANCE, "en", "Priya", "Shah"),
    DemoUser("agent", Role.AGENCY_COLLECTOR, "en", "Alex", "Morgan", in_agency=True),
    DemoUser("admin", Role.ADMIN, "en", "Ada", "Admin", is_staff=True, is_superuser=True),
]


@dataclass(frozen=True)
class Region:
    code: str
    zone: str
    currency: str
    platform: str
    weight: int
    # Area codes / number prefixes; US and UK numbers are in the ranges set aside for fiction.
    prefixes: tuple[str, ...]


REGIONS: list[Region] = [
    Region("CN-31", "Asia/Shanghai", "CNY", "alpha", 40, ("139", "138", "137", "186")),
    Region("CN-11", "Asia/Shanghai", "CNY", "alpha", 35, ("135", "136", "158", "188")),
    Region("CN-44", "Asia/Shanghai", "CNY", "alpha", 35, ("150", "151", "159", "189")),
    Region("CN-32", "Asia/Shanghai", "CNY", "alpha", 20, ("152", "157", "187")),
    Region("CN-51", "Asia/Shanghai", "CNY", "alpha", 20, ("133", "153", "180")),
    Region("US-NY", "America/New_York", "USD", "beta", 22, ("212", "718", "917")),
    Region("US-CA", "America/Los_Angeles", "USD", "beta", 22, ("415", "213", "310")),
    Region("US-MA", "America/New_York", "USD", "beta", 12, ("617", "508")),
    Region("US-WA", "America/Los_Angeles", "USD", "beta", 12, ("206", "425")),
    Region("US-TX", "America/Chicago", "USD", "beta", 18, ("512", "214", "713")),
    Region("US-FL", "America/New_York", "USD", "beta", 14, ("305", "407", "813")),
    Region("GB-ENG", "Europe/London", "GBP", "beta", 22, ("207946", "113496", "114496", "117496")),
    Region("GB-SCT", "Europe/London", "GBP", "beta", 8, ("131496", "141496")),
]

CN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
CN_GIVEN = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "文博", "子涵", "雨桐", "思远", "欣怡",
    "浩然", "佳怡", "俊杰", "梓萱", "宇轩", "晨曦", "国庆", "春梅",
]  # fmt: skip
EN_FIRST = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Daniel", "Karen",
    "Emily", "Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Sophia", "Jack", "Chloe", "Liam",
    "Maria", "Carlos", "Aisha", "Kevin", "Hannah", "Ryan", "Fiona", "Callum",
]  # fmt: skip
EN_LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Evans", "Roberts", "Campbell", "Stewart", "Murray", "MacDonald", "Patel", "Khan", "Nguyen", "O'Brien",
]  # fmt: skip
CN_ADDRESSES = {
    "CN-31": "上海市浦东新区世纪大道{}号",
    "CN-11": "北京市朝阳区建国路{}号",
    "CN-44": "广东省深圳市南山区科技园路{}号",
    "CN-32": "江苏省南京市鼓楼区中山路{}号",
    "CN-51": "四川省成都市武侯区人民南路{}号",
}
EN_STREETS = ["Main St", "Oak Ave", "Maple Dr", "High Street", "Station Road", "Park Lane", "Elm St", "Church Road"]
CN_ID_AREA = {"CN-31": "310115", "CN-11": "110105", "CN-44": "440305", "CN-32": "320106", "CN-51": "510107"}

# Scenario of each loan: where it stands today. Weights give a portfolio with every stage in it.
SCENARIOS: list[tuple[str, int]] = [
    ("current", 12),
    ("pre_due", 12),
    ("m1", 30),
    ("m2", 16),
    ("m3", 12),
    ("m3_plus", 12),
    ("cured", 6),
]
DPD_RANGES = {"m1": (1, 30), "m2": (31, 60), "m3": (61, 90), "m3_plus": (91, 240)}


def money(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- The plan: pure data, computed from the seed and the date --------------------------------------


@dataclass
class PlannedInstallment:
    seq: int
    due_date: dt.date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal


@dataclass
class PlannedPayment:
    external_id: str
    amount: Decimal
    paid_at: dt.datetime
    method: str


@dataclass
class PlannedLoan:
    external_id: str
    scenario: str
    product: str
    currency: str
    principal: Decimal
    annual_rate: Decimal
    disbursed_on: dt.date
    installments: list[PlannedInstallment]
    payments: list[PlannedPayment]


@dataclass
class PlannedBorrower:
    platform: str
    external_id: str
    full_name: str
    region: Region
    language: str
    national_id: str
    date_of_birth: dt.date | None
    address: str
    vulnerabilities: list[str]
    lost_contact: bool
    phones: list[tuple[str, str]]  # (number, kind)
    emails: list[str]
    third_parties: list[tuple[str, str, str]]  # (name, relationship, phone)
    holds: list[tuple[str, int, int | None, str]]  # (kind, started days ago, ends in days, note)
    opt_outs: list[tuple[str, str]]  # (channel, to)
    loans: list[PlannedLoan] = field(default_factory=list)


class _PhoneMaker:
    """Valid numbers (phonenumbers accepts them), never the same one twice in the portfolio."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, region: Region) -> str:
        for _attempt in range(200):
            prefix = self.rng.choice(region.prefixes)
            if region.code.startswith("CN"):
                number = f"+86{prefix}{self.rng.randrange(10**8):08d}"
            elif region.code.startswith("US"):
                number = f"+1{prefix}55501{self.rng.randrange(100):02d}"  # 555-01xx: fictional
            else:
                number = f"+44{prefix}{self.rng.randrange(1000):04d}"  # Ofcom drama ranges
            if number not in self.used and phonenumbers.is_valid_number(phonenumbers.parse(number)):
                self.used.add(number)
                return number
        raise RuntimeError(f"could not make a fresh valid phone number for {region.code}")


def _cn_national_id(rng: random.Random, region: Region, dob: dt.date) -> str:
    body = f"{CN_ID_AREA[region.code]}{dob:%Y%m%d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _schedule(
    rng: random.Random, *, principal: Decimal, rate: Decimal, n: int, first_due: dt.date
) -> list[PlannedInstallment]:
    part = money(principal / n)
    interest = money(principal * rate / 12)
    rows = []
    for seq in range(1, n + 1):
        principal_due = part if seq < n else principal - part * (n - 1)
        rows.append(
            PlannedInstallment(
                seq=seq,
                due_date=first_due + dt.timedelta(days=INSTALLMENT_DAYS * (seq - 1)),
                principal_due=principal_due,
                interest_due=interest,
                fee_due=ZERO,
            )
        )
    return rows


def _plan_loan(rng: random.Random, *, external_id: str, region: Region, scenario: str, today: dt.date) -> PlannedLoan:
    cn = region.currency == "CNY"
    n = rng.choice([6, 9, 12] if cn else [6, 12, 18])
    if cn:
        principal = money(rng.choice([3000, 5000, 8000, 10000, 15000, 20000, 30000, 50000]))
        product = rng.choice([Product.CONSUMER_LOAN, Product.MICROLOAN, Product.CREDIT_CARD])
    else:
        principal = money(rng.choice([500, 800, 1200, 2000, 3500, 5000, 8000]))
        product = rng.choice([Product.WALLET_LOAN, Product.CONSUMER_LOAN, Product.MICROLOAN])
    rate = Decimal(rng.choice(["0.0990", "0.1440", "0.1800", "0.2400"]))

    # Index of the oldest installment still (partly) unpaid, and its due date.
    if scenario in DPD_RANGES:
        dpd = rng.randint(*DPD_RANGES[scenario])
        overdue_count = dpd // INSTALLMENT_DAYS + 1
        oldest_unpaid = rng.randint(0, max(0, n - overdue_count))
        oldest_unpaid_due = today - dt.timedelta(days=dpd)
    elif scenario == "pre_due":
        oldest_unpaid = rng.randint(1, n - 1)
        oldest_unpaid_due = today + dt.timedelta(days=rng.randint(0, 3))
    else:  # current, cured: paid up, next installment comfortably ahead
        oldest_unpaid = rng.randint(2, n - 1)
        oldest_unpaid_due = today + dt.timedelta(days=rng.randint(8, 25))
    first_due = oldest_unpaid_due - dt.timedelta(days=INSTALLMENT_DAYS * oldest_unpaid)
    installments = _schedule(rng, principal=principal, rate=rate, n=n, first_due=first_due)

    payments: list[PlannedPayment] = []
    for inst in installments[:oldest_unpaid]:
        # Cured loans caught up late on their last paid installments: that is what made them delinquent.
        late = scenario == "cured" and inst.seq >= oldest_unpaid - 1
        # A loan in good standing today slipped now and then: one installment in four paid 8-20 days late
        # (a past delinquency, cured; demo.history gives it its case).
        late = late or (scenario == "current" and inst.seq % 4 == 2)
        paid_on = inst.due_date + dt.timedelta(days=rng.randint(8, 20) if late else -rng.randint(0, 4))
        paid_on = min(paid_on, today)
        payments.append(
            PlannedPayment(
                external_id=f"{external_id}-P{inst.seq:02d}",
                amount=inst.principal_due + inst.interest_due,
                paid_at=_at(rng, paid_on),
                method=rng.choice(
                    ["bank_transfer", "card", "wallet"] if not cn else ["alipay", "wechat_pay", "bank_transfer"]
                ),
            )
        )
    for inst in installments:
        # Late fees on installments that went past due unpaid: 5% of the installment, as the contract says.
        if (
            inst.seq > oldest_unpaid
            and inst.due_date < today
            or (inst.seq == oldest_unpaid + 1 and scenario in DPD_RANGES)
        ):
            inst.fee_due = money((inst.principal_due + inst.interest_due) * Decimal("0.05"))
    if scenario in DPD_RANGES and rng.random() < 0.3:
        # A part payment on the oldest overdue installment: the borrower is trying.
        inst = installments[oldest_unpaid]
        share = Decimal(rng.choice(["0.2", "0.3", "0.5"]))
        paid_on = min(inst.due_date + dt.timedelta(days=rng.randint(1, 10)), today)
        payments.append(
            PlannedPayment(
                external_id=f"{external_id}-P{inst.seq:02d}A",
                amount=money((inst.principal_due + inst.interest_due + inst.fee_due) * share),
                paid_at=_at(rng, paid_on),
                method="bank_transfer",
            )
        )
    return PlannedLoan(
        external_id=external_id,
        scenario=scenario,
        product=product,
        currency=region.currency,
        principal=principal,
        annual_rate=rate,
        disbursed_on=first_due - dt.timedelta(days=INSTALLMENT_DAYS),
        installments=installments,
        payments=payments,
    )


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(1, 12), rng.randrange(60)), tzinfo=dt.UTC)


def plan_portfolio(*, today: dt.date, seed: int = SEED, count: int = BORROWER_COUNT) -> list[PlannedBorrower]:
    rng = random.Random(seed)
    phones = _PhoneMaker(rng)
    scenario_names = [s for s, _w in SCENARIOS]
    scenario_weights = [w for _s, w in SCENARIOS]
    borrowers: list[PlannedBorrower] = []
    for i in range(1, count + 1):
        region = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
        cn = region.code.startswith("CN")
        external_id = f"{'CN' if cn else region.code[:2]}{i:05d}"
        if cn:
            full_name = rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN)
            email = f"user{i:05d}@example.cn"
            address = CN_ADDRESSES[region.code].format(rng.randint(1, 999))
        else:
            first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
            full_name = f"{first} {last}"
            email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@example.com"
            address = f"{rng.randint(1, 400)} {rng.choice(EN_STREETS)}"
        # About one in ten is 65 or older: the elderly get gentler handling (特殊群体).
        age = rng.randint(66, 82) if rng.random() < 0.1 else rng.randint(21, 60)
        dob = today.replace(year=today.year - age, day=1) - dt.timedelta(days=rng.randint(0, 300))
        if cn:
            national_id = _cn_national_id(rng, region, dob)
        elif region.code.startswith("US"):
            national_id = f"9{rng.randrange(10**8):08d}"  # 9xx: never a real SSN
        else:
            national_id = f"QQ{rng.randrange(10**6):06d}{rng.choice('ABCD')}"  # QQ: the example prefix
        vulnerabilities = []
        roll = rng.random()
        if roll < 0.07:
            vulnerabilities.append(V.UNEMPLOYED.value)
        elif roll < 0.10:
            vulnerabilities.append(V.ILLNESS.value)
        elif roll < 0.12:
            vulnerabilities.append(V.DISABILITY.value)
        phone_list = [(phones.make(region), "mobile" if not region.code.startswith("GB") else "home")]
        if rng.random() < 0.35:
            phone_list.append((phones.make(region), rng.choice(["work", "home"])))
        third_parties = []
        if rng.random() < 0.5:
            if cn:
                third_parties.append(
                    (
                        rng.choice(CN_SURNAMES) + rng.choice(CN_GIVEN),
                        rng.choice(["spouse", "relative", "emergency"]),
                        phones.make(region),
                    )
                )
            else:
                third_parties.append(
                    (
                        f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}",
                        rng.choice(["employer", "reference", "spouse"]),
                        phones.make(region),
                    )
                )
        scenario = rng.choices(scenario_names, weights=scenario_weights)[0]
        holds: list[tuple[str, int, int | None, str]] = []
        opt_outs: list[tuple[str, str]] = []
        delinquent = scenario in DPD_RANGES
        roll = rng.random()
        if delinquent and roll < 0.04:
            holds.append(
                (HoldKind.DISPUTE, rng.randint(1, 20), None, "Borrower says the last installment was paid in cash.")
            )
        elif delinquent and roll < 0.07 and not cn:
            holds.append((HoldKind.CEASE, rng.randint(5, 40), None, "Written cease request received."))
        elif delinquent and region.code.startswith("GB") and roll < 0.2:
            holds.append((HoldKind.BREATHING_SPACE, rng.randint(1, 30), 60, "Debt advice breathing space."))
        if rng.random() < 0.08:
            opt_outs.append(("sms", ""))
        elif rng.random() < 0.05:
            opt_outs.append(("call", phone_list[-1][0]))
        planned = PlannedBorrower(
            platform=region.platform,
            external_id=external_id,
            full_name=full_name,
            region=region,
            language="zh-hans" if cn else "en",
            national_id=national_id,
            date_of_birth=dob if rng.random() < 0.8 or age >= 65 else None,
            address=address,
            vulnerabilities=vulnerabilities,
            lost_contact=delinquent and rng.random() < 0.04,
            phones=phone_list,
            emails=[email],
            third_parties=third_parties,
            holds=holds,
            opt_outs=opt_outs,
        )
        planned.loans.append(
            _plan_loan(rng, external_id=f"{external_id}-L1", region=region, scenario=scenario, today=today)
        )
        if rng.random() < 0.12:
            second = rng.choices(scenario_names, weights=scenario_weights)[0]
            planned.loans.append(
                _plan_loan(rng, external_id=f"{external_id}-L2", region=region, scenario=second, today=today)
            )
        borrowers.append(planned)
    return borrowers


# --- Writing the plan ---------------------------------------------------------------------------------


@dataclass
class SeedResult:
    users: dict[str, User]
    platform_keys: dict[str, str]  # API keys of platforms created in this run (shown once)
    borrowers_created: int = 0
    loans_created: int = 0
    cases_opened: int = 0


def _ensure_users(team: Team, agency: Agency) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                role=spec.role,
                language=spec.language,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.com",
                team=team if spec.in_team else None,
                agency=agency if spec.in_agency else None,
                is_staff=spec.is_staff,
                is_superuser=spec.is_superuser,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[spec.username] = user
    return users


def _allocate(installments: list[Installment], payment: Payment) -> list[PaymentAllocation]:
    """Apply a payment to the (not yet saved) installments with the house rule: oldest installment
    first, fees, then interest, then principal.

    Not `cases.services.payment_record`: it refreshes delinquency as of today after every payment,
    which for a back-filled history would open (and close) a case for every loan paying on time. The
    allocation itself is the service's own pure `allocate`, so the rule lives in one place.
    """
    allocations, payment.unallocated = allocate(payment.amount, installments)
    rows = []
    for a in allocations:
        inst = a.installment
        inst.fee_paid += a.fee
        inst.interest_paid += a.interest
        inst.principal_paid += a.principal
        if inst.remaining <= 0 and inst.paid_off_at is None:
            inst.paid_off_at = payment.paid_at
        rows.append(
            PaymentAllocation(payment=payment, installment=inst, fee=a.fee, interest=a.interest, principal=a.principal)
        )
    return rows


def _refresh(today: dt.date) -> None:
    """Balances, DPD, stages and cases: the delinquency refresh itself, over the whole book as the daily run
    does, so it is recorded as a refresh run and the operations page does not report a refresh overdue on a
    fresh demo."""
    refresh_delinquency(today=today)


# The day a case's DPD enters each stage past due (cases.models.stage_for_dpd): M1 on day 1, M2 on day 31...
STAGE_ENTRY_DPD = (("m1", 1), ("m2", 31), ("m3", 61), ("m3_plus", 91))


def _reached(today: dt.date, dpd_today: int, dpd: int) -> dt.datetime:
    """When a loan `dpd_today` days past due today was `dpd` days past due (01:00 UTC that day)."""
    return dt.datetime.combine(today - dt.timedelta(days=dpd_today - dpd), dt.time(1, 0), tzinfo=dt.UTC)


def _stage_history(cases: list[Case], today: dt.date) -> None:
    """The stage history the cases would have had if the book had been collected here all along: the
    refresh opened each late case today at its current stage; its `opened` event is moved back to the
    day the case went 1 day past due (as M1), and a `stage_changed` event written on each day its DPD
    crossed into the next stage. Roll rates and the cure cohorts read this history."""
    events = []
    for case in cases:
        if case.dpd < 1:
            continue
        entered = _reached(today, case.dpd, 1)
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.OPENED).update(new_value="m1", at=entered)
        Case.objects.filter(pk=case.pk).update(opened_at=entered)
        crossed = [(stage, dpd) for stage, dpd in STAGE_ENTRY_DPD if dpd <= case.dpd]
        for (before, _dpd), (stage, dpd) in zip(crossed, crossed[1:], strict=False):
            events.append(
                case_event_build(
                    case_id=case.pk,
                    kind=CaseEvent.Kind.STAGE_CHANGED,
                    old=before,
                    new=stage,
                    reason=f"dpd {dpd}",
                    at=_reached(today, case.dpd, dpd),
                )
            )
    case_events_record(events)


def _assign(cases: list[Case], users: dict[str, User], agency: Agency, rng: random.Random, now: dt.datetime) -> None:
    """Hand out the freshly opened cases the way a supervisor would on a Monday morning."""
    supervisor = users["supervisor"]
    collectors = [users["collector"], users["collector2"]]
    events = []
    for case in sorted(cases, key=lambda c: c.pk):
        # Pre-due cases stay with the reminder robot; late ones go to people; 90+ partly to the agency.
        if case.stage == "pre_due":
            continue
        if case.stage == "m3_plus" and rng.random() < 0.5:
            case.agency = agency
            case.placing_team = supervisor.team  # the East Team placed it: its supervisor keeps sight of it
            case.assigned_to = users["agent"]
            events.append(
                case_event_build(case_id=case.pk, kind=CaseEvent.Kind.PLACED, new=agency.name, actor=supervisor, at=now)
            )
        elif rng.random() < 0.15:
            continue  # left in the pool for the supervisor to distribute
        else:
            # The Chinese-speaking collector works the CN book; the English-speaking one the rest.
            case.assigned_to = collectors[0] if case.platform.default_jurisdiction == "CN" else collectors[1]
        events.append(
            case_event_build(
                case_id=case.pk,
                kind=CaseEvent.Kind.ASSIGNED,
                new=case.assigned_to.username,
                actor=supervisor,
                at=now,
            )
        )
        case.next_action_at = now + dt.timedelta(hours=rng.randint(0, 72))
        case.save(update_fields=["agency", "placing_team", "assigned_to", "next_action_at", "updated_at"])
    case_events_record(events)


def book_collector(loan: Loan, users: dict[str, User]) -> User:
    """The demo collector whose book a loan is in: the Chinese collector's for CNY, the other's otherwise."""
    return users["collector"] if loan.currency == "CNY" else users["collector2"]


@dataclass(frozen=True)
class CuredCase:
    case: Case
    opened: CaseEvent
    closed: CaseEvent


def cured_m1_case(*, loan: Loan, collector: User, opened: dt.datetime, cured_at: dt.datetime) -> CuredCase:
    """A past delinquency of `loan`, paid up: an M1 case opened at `opened`, held by `collector`, closed as
    cured at `cured_at` (for the loans seeded as cured here, and demo.history's installments paid late).
    Its opened and closed events come unsaved, for the caller to record with its own between them."""
    case = Case.objects.create(
        platform_id=loan.platform_id,
        loan=loan,
        borrower_id=loan.borrower_id,
        status=CaseStatus.CLOSED,
        stage="m1",
        dpd=0,
        overdue_amount=ZERO,
        assigned_to=collector,
        closed_at=cured_at,
        close_reason="cured",
    )
    Case.objects.filter(pk=case.pk).update(opened_at=opened)  # as its `opened` event says, not today
    return CuredCase(
        case=case,
        opened=case_event_build(case_id=case.pk, kind=CaseEvent.Kind.OPENED, new="m1", at=opened),
        closed=case_event_build(case_id=case.pk, kind=CaseEvent.Kind.CLOSED, old="m1", new="cured", at=cured_at),
    )


def _close_cured(loans: list[tuple[Loan, PlannedLoan]], users: dict[str, User], now: dt.datetime) -> None:
    """Cured loans carry the case they had while late, closed, so the list has some history in it."""
    for loan, plan in loans:
        if plan.scenario != "cured" or Case.objects.filter(loan=loan).exists():
            continue
        late_paid = max(p.paid_at for p in plan.payments)
        cured = cured_m1_case(
            loan=loan,
            collector=book_collector(loan, users),
            opened=late_paid - dt.timedelta(days=12),
            cured_at=late_paid,
        )
        payment = case_event_build(
            case_id=cured.case.pk, kind=CaseEvent.Kind.PAYMENT, new=str(plan.payments[-1].amount), at=late_paid
        )
        case_events_record([cured.opened, payment, cured.closed])


@transaction.atomic
def seed_demo(*, today: dt.date | None = None, log: Callable[[str], None] = lambda _msg: None) -> SeedResult:
    today = today or timezone.localdate()
    now = timezone.now()
    team, _created = Team.objects.get_or_create(name=TEAM_NAME)
    if not team.timezone:  # the team's members read times in it unless they choose their own
        team.timezone = TEAM_ZONE
        team.save(update_fields=["timezone"])
    agency, _created = Agency.objects.get_or_create(name=AGENCY_NAME)
    users = _ensure_users(team, agency)

    platforms: dict[str, Platform] = {}
    keys: dict[str, str] = {}
    for slug, (name, jurisdiction) in PLATFORMS.items():
        platform = Platform.objects.filter(name=name).first()
        if platform is None:
            platform = Platform(name=name, default_jurisdiction=jurisdiction)
            keys[name] = platform.rotate_api_key()
            platform.save()
        if not platform.payment_url_template:  # the portal set up once; an administrator's change is kept
            platform.portal_second_factor, platform.payment_url_template = PLATFORM_PORTALS[slug]
            platform.save(update_fields=["portal_second_factor", "payment_url_template"])
        platforms[slug] = platform
    result = SeedResult(users=users, platform_keys=keys)

    plan = plan_portfolio(today=today)
    existing = {
        (platform_id, external_id)
        for platform_id, external_id in Borrower.objects.filter(platform__in=platforms.values()).values_list(
            "platform_id", "external_id"
        )
    }
    todo = [b for b in plan if (platforms[b.platform].pk, b.external_id) not in existing]
    if not todo:
        log("Demo portfolio already present: nothing to add.")
        return result
    log(f"Creating {len(todo)} borrowers and their loans…")

    borrowers = []
    for b in todo:
        borrower = Borrower(
            platform=platforms[b.platform],
            external_id=b.external_id,
            full_name=b.full_name,
            region=b.region.code,
            timezone=b.region.zone,
            date_of_birth=b.date_of_birth,
            language=b.language,
            address=b.address,
            vulnerabilities=b.vulnerabilities,
            lost_contact=b.lost_contact,
        )
        borrower.set_national_id(b.national_id)
        borrowers.append(borrower)
    bulk_create_with_history(borrowers, Borrower)
    result.borrowers_created = len(borrowers)

    phones, emails, third_parties, holds, opt_outs, loans = [], [], [], [], [], []
    for borrower, b in zip(borrowers, todo, strict=True):
        phones += [
            Phone(borrower=borrower, number=n, kind=k, position=i, autodial_consent=(i == 0))
            for i, (n, k) in enumerate(b.phones)
        ]
        emails += [Email(borrower=borrower, address=a, position=i) for i, a in enumerate(b.emails)]
        third_parties += [
            ThirdParty(borrower=borrower, name=n, relationship=r, phone=p, position=i)
            for i, (n, r, p) in enumerate(b.third_parties)
        ]
        for kind, started, ends_in, note in b.holds:
            starts_at = now - dt.timedelta(days=started)
            holds.append(
                Hold(
                    borrower=borrower,
                    kind=kind,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(days=ends_in) if ends_in else None,
                    note=note,
                    created_by=users["supervisor"],
                )
            )
        opt_outs += [OptOut(borrower=borrower, channel=c, to=to) for c, to in b.opt_outs]
        for pl in b.loans:
            loans.append(
                (
                    Loan(
                        platform=borrower.platform,
                        borrower=borrower,
                        external_id=pl.external_id,
                        product=pl.product,
                        currency=pl.currency,
                        principal=pl.principal,
                        annual_rate=pl.annual_rate,
                        disbursed_on=pl.disbursed_on,
                        outstanding=pl.principal,
                    ),
                    pl,
                )
            )
    for objs, model in (
        (phones, Phone),
        (emails, Email),
        (third_parties, ThirdParty),
        (holds, Hold),
        (opt_outs, OptOut),
    ):
        bulk_create_with_history(objs, model, batch_size=500)
    bulk_create_with_history([loan for loan, _pl in loans], Loan, batch_size=500)
    result.loans_created = len(loans)

    installments, payments, allocations = [], [], []
    for loan, pl in loans:
        rows = [
            Installment(
                loan=loan,
                seq=i.seq,
                due_date=i.due_date,
                principal_due=i.principal_due,
                interest_due=i.interest_due,
                fee_due=i.fee_due,
            )
            for i in pl.installments
        ]
        installments += rows
        for p in pl.payments:
            payment = Payment(
                platform=loan.platform,
                loan=loan,
                external_id=p.external_id,
                amount=p.amount,
                currency=loan.currency,
                paid_at=p.paid_at,
                method=p.method,
            )
            payments.append(payment)
            allocations += _allocate(rows, payment)
    bulk_create_with_history(installments, Installment, batch_size=1000)
    bulk_create_with_history(payments, Payment, batch_size=1000)
    for allocation in allocations:
        # The objects were built before their rows had ids; point the foreign keys at the saved rows.
        allocation.payment_id = allocation.payment.pk
        allocation.installment_id = allocation.installment.pk
    PaymentAllocation.objects.bulk_create(allocations, batch_size=1000)

    loan_ids = [loan.pk for loan, _pl in loans]
    _refresh(today)
    opened = list(Case.objects.open().filter(loan_id__in=loan_ids).select_related("platform"))
    result.cases_opened = len(opened)
    _stage_history(opened, today)
    # Assignment follows the opening the refresh just stamped, so the case history reads in order.
    _assign(opened, users, agency, random.Random(SEED + 1), timezone.now())
    _close_cured(loans, users, now)
    return result
