"""The charge rules (inactive: a charge needs a basis in the loan contract, the lender switches it on)
and the legal caps (active: they only ever lower a charge) of docs/fees.md, as they were when seeded;
edit them in the admin."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

SEED_NOTE = "docs/fees.md defaults"

RULES = [
    {
        "jurisdiction": "CN",
        "grace_days": 3,
        "penalty_rate": Decimal("0.05"),
        "penalty_rate_basis": "daily",
        "note": SEED_NOTE + ": 罚息 0.05% a day (日息万分之五) after 3 days' grace; within the 24% ceiling.",
    },
    {
        "jurisdiction": "US",
        "grace_days": 10,
        "late_fee_fixed": Decimal("15.00"),
        "note": SEED_NOTE + ": one late fee of 15.00 after 10 days' grace; no default interest.",
    },
    {
        "jurisdiction": "UK",
        "grace_days": 5,
        "late_fee_fixed": Decimal("12.00"),
        "note": SEED_NOTE + ": one late-payment fee of 12.00 (a cost-based default fee, CONC 7.7) after 5 days.",
    },
]

CAPS = [
    {
        "jurisdiction": "CN",
        "annual_cost_ceiling_percent": Decimal("24"),
        "source": (
            SEED_NOTE + ": 24% a year, interest, fees and charges together (综合年化成本). The regulators' line for "
            "licensed lenders (cash-loan circular 整治办函〔2017〕141号, which ties the cost of lending to the "
            "Supreme People's Court's private-lending limits: 法释〔2015〕18号 art. 26, 24% protected, above 36% "
            "void). The 2020 revision (法释〔2020〕17号 art. 25) caps private lending at 4x the one-year LPR "
            "(12.0% at the 3.0% LPR of May 2025), but the SPC's reply 法释〔2020〕27号 leaves licensed consumer "
            "finance and microloan companies outside it: a lender bound by 4x LPR sets its figure here."
        ),
    },
    {
        "jurisdiction": "US",
        "annual_cost_ceiling_percent": Decimal("36"),
        "late_fee_max": Decimal("15.00"),
        "source": (
            SEED_NOTE + ": a conservative default for every state until the state's own row is added: 36% a "
            "year (the Military Lending Act's MAPR, 10 U.S.C. 987 and 32 CFR 232.4, the line most state "
            "small-loan laws draw) and a late fee of at most 15.00. A row for a state (region US-XX) can only "
            "tighten it."
        ),
    },
    {
        "jurisdiction": "US",
        "region": "US-NY",
        "annual_cost_ceiling_percent": Decimal("25"),
        "source": SEED_NOTE + ": New York Penal Law § 190.40, criminal usury above 25% a year.",
    },
    {
        "jurisdiction": "UK",
        "product": "microloan",
        "total_cost_max_percent": Decimal("100"),
        "late_fee_max": Decimal("15.00"),
        "source": (
            SEED_NOTE + ": the FCA's high-cost short-term credit price cap, CONC 5A.2: default fees at most "
            "15.00 (5A.2.3R) and interest and charges in total at most 100% of the amount borrowed (5A.2.4R)."
        ),
    },
]


def seed(apps, schema_editor):
    ChargeRule = apps.get_model("cases", "ChargeRule")
    ChargeCap = apps.get_model("cases", "ChargeCap")
    for row in RULES:
        ChargeRule.objects.create(valid_from=dt.date(2020, 1, 1), active=False, **row)
    for row in CAPS:
        ChargeCap.objects.create(active=True, **row)


def unseed(apps, schema_editor):
    apps.get_model("cases", "ChargeRule").objects.filter(note__startswith=SEED_NOTE).delete()
    apps.get_model("cases", "ChargeCap").objects.filter(source__startswith=SEED_NOTE).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_charges_fees_penalty")]

    operations = [migrations.RunPython(seed, unseed)]
