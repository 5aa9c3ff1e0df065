"""The shipped SMS reminders with their portal link stay short: rendered for an ordinary case (a name, a loan
reference and an amount of everyday length, a link under a 30-character site address), each fits in three
SMS parts: 3 x 153 GSM-7 characters in English, 3 x 67 UCS-2 characters in Chinese. The link is the
22-character token under /p/, followed by a space so that a phone reads no words into it."""

from __future__ import annotations

import math

import pytest

from outreach.default_strategies import TEMPLATES
from outreach.models import MessageTemplate
from outreach.rendering import OPT_OUT_TEXT, render_template

GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
LINK = "https://collect.example.com/p/" + "T" * 22 + "/"


def sms_parts(text: str) -> int:
    """How many parts a network sends: 160 GSM-7 characters in one, 153 each when concatenated; 70 and 67
    in UCS-2, which any character outside GSM-7 (a Chinese one) forces on the whole message."""
    single, each = (160, 153) if set(text) <= GSM_7 else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / each)


def _context(language: str) -> dict:
    chinese = language == "zh-hans"
    return {
        "borrower_name": "欧阳秀英" if chinese else "Christopher Montgomery",
        "amount": "12,345.67",
        "currency": "CNY" if chinese else "USD",
        "due_date": "2026-12-31",
        "dpd": 45,
        "loan_ref": "CN00123-L1" if chinese else "US00123-L1",
        "platform_name": "Alpha Lending" if chinese else "Beta Wallet",
        "opt_out": OPT_OUT_TEXT[("sms", language)],
        "portal_link": LINK,
    }


SMS = [t for t in TEMPLATES if t["channel"] == "sms"]


@pytest.mark.parametrize("data", SMS, ids=lambda d: f"{d['code']}-{d['language']}")
def test_each_sms_reminder_carries_its_link_within_three_parts(data):
    template = MessageTemplate(**data)

    body = render_template(template, _context(data["language"])).body

    assert LINK + " " in body  # a space after it: the phone's link ends where the link does
    assert sms_parts(body) <= 3, (len(body), body)


def test_the_parts_are_counted_as_networks_do():
    assert sms_parts("a" * 160) == 1 and sms_parts("a" * 161) == 2 and sms_parts("a" * 459) == 3
    assert sms_parts("还" * 70) == 1 and sms_parts("还" * 71) == 2 and sms_parts("a" * 200 + "还") == 3
