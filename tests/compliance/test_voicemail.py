"""Regulation F's limited-content voicemail (1006.2(j); issue 19, item 4): a voicemail outcome reported with
its message is blocked (voicemail_content) when the message says anything about the debt; a message with
only a name, a request to reply, a number and how to opt out passes. US pack only."""

from __future__ import annotations

import pytest

from compliance.screening import beyond_limited_content

from .conftest import check, codes, local

LIMITED = (
    "This is Alex Smith calling for Jane Doe. Please call me back at 800-555-0100. "
    "To stop calls to this number, reply STOP or tell us when you call."
)


def test_a_limited_content_voicemail_passes(us_borrower):
    result = check(us_borrower, local("America/New_York", 2026, 6, 10, 12, 0), outcome="voicemail", message=LIMITED)
    assert "voicemail_content" not in codes(result)
    assert result.decision.facts["action"]["outcome"] == "voicemail"


@pytest.mark.parametrize(
    "message",
    [
        "Jane, this is Acme Collections about your overdue loan. Call 800-555-0100.",
        "Please call us back about the $120.00 you owe.",
        "We may take legal action unless you call 800-555-0100.",
        "Call us back about your balance due of 45.50 USD.",
    ],
)
def test_a_voicemail_about_the_debt_is_blocked_with_what_it_says(us_borrower, message):
    result = check(us_borrower, local("America/New_York", 2026, 6, 10, 12, 0), outcome="voicemail", message=message)
    assert codes(result) == {"voicemail_content"}
    reason = next(r for r in result.reasons if r["code"] == "voicemail_content")
    assert reason["message_en"].startswith("A voicemail may hold only a name")
    assert "“" in reason["message_en"] and "语音留言" in reason["message_zh"]
    assert result.next_allowed_at is None


def test_only_a_voicemail_is_held_to_the_limited_content(us_borrower):
    message = "Your loan is overdue: call 800-555-0100."
    when = local("America/New_York", 2026, 6, 10, 12, 0)
    assert "voicemail_content" not in codes(check(us_borrower, when, outcome="connected", message=message))
    assert "voicemail_content" not in codes(check(us_borrower, when, message=message))


def test_other_packs_do_not_have_the_rule(cn_borrower, uk_borrower):
    message = "Your loan is overdue: call 800-555-0100."
    cn = check(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 12, 0), outcome="voicemail", message=message)
    uk = check(uk_borrower, local("Europe/London", 2026, 6, 10, 12, 0), outcome="voicemail", message=message)
    assert "voicemail_content" not in {r["code"] for r in cn.decision.results + uk.decision.results}


def test_the_api_refuses_such_a_voicemail_with_422(api, us_borrower):
    body = {
        "borrower": us_borrower.external_id,
        "channel": "call",
        "outcome": "voicemail",
        "message": "About your overdue loan of $300: call 800-555-0100.",
        "at": local("America/New_York", 2026, 6, 10, 12, 0).isoformat(),
    }
    response = api.post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 422, response.json()
    assert "voicemail_content" in {r["code"] for r in response.json()["reasons"]}


def test_amounts_in_either_language_are_beyond_limited_content():
    assert beyond_limited_content("请回电 400-123-4567。") == []
    assert [f.category for f in beyond_limited_content("您欠款 300元，请回电")] == ["debt_disclosure", "amount"]
