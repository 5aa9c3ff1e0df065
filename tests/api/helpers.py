"""Payload builders shared by the API suites."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def borrower_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": "B-1",
        "full_name": "Wang Fang",
        "region": "CN-31",
        "timezone": "Asia/Shanghai",
        "national_id": "310101199001011234",
        "date_of_birth": "1990-01-01",
        "language": "zh-hans",
        "address": "1 Nanjing Rd, Shanghai",
        "phones": [
            {"number": "+8613912345678", "kind": "mobile", "autodial_consent": True, "work_contact_prohibited": False},
            {"number": "+862161234567", "kind": "work", "autodial_consent": False, "work_contact_prohibited": True},
        ],
        "emails": [{"address": "wang@example.com", "kind": "personal"}],
        "third_parties": [{"name": "Li Wei", "relationship": "spouse", "phone": "+8613812345678"}],
        "vulnerabilities": ["unemployed"],
    }
    data.update(overrides)
    return data


def loan_payload(**overrides: Any) -> dict[str, Any]:
    today = timezone.now().date()
    data: dict[str, Any] = {
        "external_id": "L-1",
        "borrower": "B-1",
        "product": "consumer_loan",
        "currency": "CNY",
        "principal": "3000.00",
        "annual_rate": "0.1800",
        "disbursed_on": str(today - dt.timedelta(days=100)),
        "installments": [
            {
                "seq": 1,
                "due_date": str(today - dt.timedelta(days=40)),
                "principal_due": "1000.00",
                "interest_due": "45.00",
                "fee_due": "10.00",
            },
            {
                "seq": 2,
                "due_date": str(today - dt.timedelta(days=10)),
                "principal_due": "1000.00",
                "interest_due": "30.00",
                "fee_due": "10.00",
            },
            {
                "seq": 3,
                "due_date": str(today + dt.timedelta(days=20)),
                "principal_due": "1000.00",
                "interest_due": "15.00",
            },
        ],
    }
    data.update(overrides)
    return data
