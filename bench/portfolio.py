"""A synthetic portfolio at a chosen scale, written with COPY and reused between runs.

Shape per DESIGN.md at 1M loans: ~200k open cases (one loan in five is overdue) and ~20M contact
attempts (twenty per loan over the last sixty days).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Platform, Role, Team, User
from borrowers.models import Borrower, Phone
from cases.models import Installment, Loan
from contacts.models import ContactAttempt

from .copyrows import copy_rows, max_id, reset_sequence
from .progress import Progress

PLATFORM_NAME = "Bench Lending"
REGIONS = ["CN-31", "US-NY", "GB-ENG"]
OUTCOMES = ["no_answer", "busy", "voicemail", "right_party", "connected", "promise", "refused", "delivered"]
CONTACTS_PER_LOAN = 20
INSTALLMENTS_PER_LOAN = 6
# One collector per ~400 open cases whatever the scale (50 at 100k loans, 500 at 1M): a team grows with
# its book, and a work queue's cost grows with the collector's own queue, not with the book.
CASES_PER_COLLECTOR = 400


def collectors_for(scale: int) -> int:
    return max(50, scale // 5 // CASES_PER_COLLECTOR)


@dataclass
class PortfolioInfo:
    platform_id: int
    loans: int
    borrowers: int
    contacts: int
    reused: bool


def _meta_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")


def _meta_get(key: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
    return row[0] if row else None


def _meta_set(key: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, value],
        )


def ensure_portfolio(scale: int, *, seed: int = 7) -> PortfolioInfo:
    """Build the portfolio for `scale` loans unless this database already holds it."""
    _meta_table()
    platform, _ = Platform.objects.get_or_create(name=PLATFORM_NAME, defaults={"default_jurisdiction": "CN"})
    if not platform.api_key_hash:
        platform.rotate_api_key()
        platform.save()
    if _meta_get("scale") == str(scale):
        return PortfolioInfo(
            platform.id, scale, int(_meta_get("borrowers") or 0), int(_meta_get("contacts") or 0), True
        )
    if _meta_get("scale") is not None:
        raise SystemExit(
            f"This database holds a portfolio at scale {_meta_get('scale')}; use another database "
            "(DATABASE_URL) or drop it to build scale {scale}."
        )
    rng = random.Random(seed)
    today = timezone.localdate()
    n_borrowers = max(1, int(scale * 0.8))
    ensure_collectors(collectors_for(scale))
    with transaction.atomic():
        b0, p0, l0, i0, c0 = (max_id(m) for m in (Borrower, Phone, Loan, Installment, ContactAttempt))
        now = timezone.now()
        with Progress("borrowers", n_borrowers) as bar:
            copy_rows(Borrower, _borrowers(platform.id, b0, n_borrowers, rng, now), on_progress=bar.advance)
        with Progress("phones", n_borrowers) as bar:
            copy_rows(Phone, _phones(b0, p0, n_borrowers), on_progress=bar.advance)
        with Progress("loans", scale) as bar:
            copy_rows(Loan, _loans(platform.id, b0, l0, n_borrowers, scale, today, now), on_progress=bar.advance)
        with Progress("installments", scale * INSTALLMENTS_PER_LOAN) as bar:
            copy_rows(Installment, _installments(l0, i0, scale, rng, today), on_progress=bar.advance)
        n_contacts = scale * CONTACTS_PER_LOAN
        with Progress("contact attempts", n_contacts) as bar:
            copy_rows(
                ContactAttempt,
                _contacts(platform.id, b0, l0, c0, n_borrowers, scale, rng, now),
                on_progress=bar.advance,
            )
        for model in (Borrower, Phone, Loan, Installment, ContactAttempt):
            reset_sequence(model)
        _meta_set("scale", str(scale))
        _meta_set("borrowers", str(n_borrowers))
        _meta_set("contacts", str(n_contacts))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return PortfolioInfo(platform.id, scale, n_borrowers, n_contacts, False)


def ensure_collectors(count: int) -> None:
    team, _ = Team.objects.get_or_create(name="Bench team")
    existing = set(User.objects.filter(username__startswith="bench-collector-").values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, role=Role.COLLECTOR, team=team, password="!")  # noqa: S106 - unusable password
            for i in range(count)
            if (name := f"bench-collector-{i}") not in existing
        ]
    )


def _borrowers(platform_id, b0, n, rng, now):
    for k in range(1, n + 1):
        region = REGIONS[k % len(REGIONS)]
        yield {
            "id": b0 + k,
            "platform_id": platform_id,
            "external_id": f"BB-{b0 + k}",
            "full_name": f"Borrower {k}",
            "region": region,
            "timezone": "",
            "language": "zh-hans" if region.startswith("CN") else "en",
            "vulnerabilities": ["elderly"] if rng.random() < 0.03 else [],
            "created_at": now,
            "updated_at": now,
        }


def phone_for(k: int) -> str:
    """A number valid for the k-th borrower's region (same rotation as REGIONS)."""
    region = REGIONS[k % len(REGIONS)]
    if region.startswith("CN"):
        return f"+86139{k % 10**8:08d}"
    if region.startswith("US"):
        return f"+1212{k % 9_000_000 + 1_000_000:07d}"
    return f"+44770{k % 10**7:07d}"


def _phones(b0, p0, n):
    for k in range(1, n + 1):
        yield {"id": p0 + k, "borrower_id": b0 + k, "number": phone_for(k), "kind": "mobile", "autodial_consent": True}


def _loans(platform_id, b0, l0, n_borrowers, scale, today, now):
    for k in range(1, scale + 1):
        yield {
            "id": l0 + k,
            "platform_id": platform_id,
            "borrower_id": b0 + 1 + (k - 1) % n_borrowers,
            "external_id": f"BL-{l0 + k}",
            "product": "consumer_loan",
            "currency": "CNY",
            "principal": Decimal("6000.00"),
            "disbursed_on": today - dt.timedelta(days=200),
            "created_at": now,
            "updated_at": now,
        }


def _installments(l0, i0, scale, rng, today):
    per = Decimal("1000.00")
    n = 0
    for k in range(1, scale + 1):
        # One loan in five is behind: its oldest unpaid installment fell due 1-150 days ago.
        overdue = k % 5 == 0
        late_days = rng.randint(1, 150) if overdue else 0
        first_due = (
            today - dt.timedelta(days=late_days + 5) if overdue else today + dt.timedelta(days=rng.randint(1, 28))
        )
        for seq in range(1, INSTALLMENTS_PER_LOAN + 1):
            n += 1
            due = first_due + dt.timedelta(days=30 * (seq - 1))
            yield {
                "id": i0 + n,
                "loan_id": l0 + k,
                "seq": seq,
                "due_date": due,
                "principal_due": per,
                "interest_due": Decimal("20.00"),
                "fee_due": Decimal("0.00"),
            }


def _contacts(platform_id, b0, l0, c0, n_borrowers, scale, rng, now):
    n = 0
    for k in range(1, scale + 1):
        borrower_k = 1 + (k - 1) % n_borrowers
        borrower_id = b0 + borrower_k
        for _ in range(CONTACTS_PER_LOAN):
            n += 1
            channel = "call" if rng.random() < 0.6 else "sms"
            yield {
                "id": c0 + n,
                "platform_id": platform_id,
                "borrower_id": borrower_id,
                "loan_id": l0 + k,
                "channel": channel,
                "direction": "outbound",
                "party": "borrower",
                "to": phone_for(borrower_k),
                "outcome": rng.choice(OUTCOMES) if channel == "call" else "delivered",
                "at": now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 60)),
                "actor_kind": "scheduler",
                "created_at": now,
            }
