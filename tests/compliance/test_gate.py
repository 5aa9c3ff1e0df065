"""The gate as a whole: what it writes, immutability, overrides, replay and the rule pack versions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from compliance import packs
from compliance.actions import Actor, OutreachAction
from compliance.models import Decision, RulePack
from compliance.replay import replay_decision
from compliance.screening import ProhibitedContentValidator, screen_text
from compliance.services import decision_override, outreach_authorize
from contacts.models import AppendOnlyError, ContactAttempt
from contacts.services import OutcomeAlreadyRecorded, contact_record_inbound, contact_record_outcome
from tests import factories

from .conftest import check, codes, local, log

NOON = local("Asia/Shanghai", 2026, 6, 10, 12, 0)
NIGHT = local("Asia/Shanghai", 2026, 6, 10, 23, 0)


def authorize(borrower, at, channel="call", **fields):
    action = OutreachAction(borrower=borrower, channel=channel, at=at, **fields)
    return outreach_authorize(action=action, actor=Actor("platform"))


def test_an_allowed_action_writes_the_decision_and_a_pending_contact(cn_borrower):
    result = authorize(cn_borrower, NOON)
    assert result.allowed and result.contact is not None
    assert result.contact.decision == result.decision
    assert result.contact.is_pending
    assert result.contact.to == "+8613912345678"
    decision = result.decision
    assert decision.rule_pack == "CN" and decision.pack_versions == {"COMMON": 1, "CN": 1}
    assert decision.facts["zones"]["local_times"]["Asia/Shanghai"].startswith("2026-06-10T12:00")
    assert {r["code"] for r in decision.results} >= {"quiet_hours", "daily_answered_cap", "hold_cease"}


def test_a_dry_run_records_the_decision_and_reserves_nothing(cn_borrower):
    for _ in range(5):
        result = check(cn_borrower, NOON)
        assert result.allowed and result.contact is None
    assert Decision.objects.filter(borrower=cn_borrower, dry_run=True).count() == 5
    assert not ContactAttempt.objects.filter(borrower=cn_borrower).exists()


def test_a_block_writes_no_contact(cn_borrower):
    result = authorize(cn_borrower, NIGHT)
    assert not result.allowed and result.contact is None
    assert result.decision.reasons[0]["code"] == "quiet_hours"
    assert not ContactAttempt.objects.exists()


def test_pending_attempts_count_against_the_next_authorisation(cn_borrower):
    for _ in range(3):
        assert authorize(cn_borrower, NOON).allowed
    assert codes(authorize(cn_borrower, NOON)) == {"daily_answered_cap"}


def test_a_report_after_the_fact_carries_its_outcome_and_is_judged_on_earlier_history(cn_borrower):
    result = authorize(cn_borrower, NOON, outcome="no_answer", duration_s=0)
    assert result.contact.outcome == "no_answer" and not result.contact.is_pending
    # Three answered calls later that day do not block a call reported for the morning.
    for hour in (13, 14, 15):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, hour, 0), outcome="connected")
    assert authorize(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, 9, 0), outcome="busy").allowed


def test_the_outcome_is_recorded_once(cn_borrower):
    contact = authorize(cn_borrower, NOON).contact
    contact = contact_record_outcome(contact=contact, outcome="right_party", duration_s=95, notes="agreed to pay")
    assert contact.outcome == "right_party" and contact.duration_s == 95 and contact.outcome_at
    with pytest.raises(OutcomeAlreadyRecorded):
        contact_record_outcome(contact=contact, outcome="refused")
    contact.refresh_from_db()
    assert contact.outcome == "right_party"


def test_contacts_and_decisions_cannot_be_edited_or_deleted(cn_borrower):
    result = authorize(cn_borrower, NOON)
    contact, decision = result.contact, result.decision
    contact.notes = "rewritten"
    with pytest.raises(AppendOnlyError):
        contact.save()
    with pytest.raises(AppendOnlyError):
        contact.delete()
    with pytest.raises(AppendOnlyError):
        ContactAttempt.objects.filter(pk=contact.pk).update(outcome="promise")
    with pytest.raises(AppendOnlyError):
        ContactAttempt.objects.all().delete()
    decision.allowed = False
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        Decision.objects.filter(pk=decision.pk).update(allowed=False)
    with pytest.raises(AppendOnlyError):
        decision.delete()


def test_inbound_contacts_are_always_recorded(cn_borrower):
    factories.HoldFactory(borrower=cn_borrower, kind="cease", starts_at=NOON - dt.timedelta(days=1))
    result = authorize(cn_borrower, NIGHT, direction="inbound", outcome="connected")
    assert result.allowed and result.decision is None
    assert result.contact.direction == "inbound"
    contact = contact_record_inbound(borrower=cn_borrower, channel="sms", at=NIGHT, actor_kind="platform")
    assert contact.pk


def test_input_errors_name_the_field(cn_borrower, platform):
    other_borrower = factories.BorrowerFactory(platform=platform)
    foreign_tp = factories.ThirdPartyFactory(borrower=other_borrower)
    cases = [
        ({"channel": "pigeon"}, "channel"),
        ({"party": "neighbour"}, "party"),
        ({"outcome": "maybe"}, "outcome"),
        ({"party": "third_party"}, "third_party"),
        ({"party": "third_party", "third_party": foreign_tp}, "third_party"),
        ({"loan": factories.LoanFactory(borrower=other_borrower)}, "loan"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            authorize(cn_borrower, NOON, **kwargs)
        assert field in exc.value.message_dict


# --- overrides -------------------------------------------------------------------------------------------


def test_a_supervisor_overrides_a_block_once_with_a_reason(cn_borrower, supervisor):
    blocked = authorize(cn_borrower, NIGHT).decision
    result = decision_override(
        decision=blocked, actor=Actor.of_user(supervisor), reason="Borrower asked for a call back at 23:00"
    )
    assert result.allowed
    assert result.decision.override_of == blocked and result.decision.actor_user == supervisor
    assert result.contact is not None and result.contact.decision == result.decision
    with pytest.raises(ValidationError):
        decision_override(decision=blocked, actor=Actor.of_user(supervisor), reason="again")


def test_an_override_needs_a_supervisor_and_a_reason(cn_borrower, collector, supervisor):
    blocked = authorize(cn_borrower, NIGHT).decision
    with pytest.raises(PermissionDenied):
        decision_override(decision=blocked, actor=Actor.of_user(collector), reason="please")
    with pytest.raises(ValidationError):
        decision_override(decision=blocked, actor=Actor.of_user(supervisor), reason="  ")
    allowed = authorize(cn_borrower, NOON).decision
    with pytest.raises(ValidationError):
        decision_override(decision=allowed, actor=Actor.of_user(supervisor), reason="nothing to override")


@pytest.mark.parametrize(
    ("kind", "overridable"),
    [
        ("cease", False),
        ("attorney", False),
        ("bankruptcy", False),
        ("deceased", False),
        ("breathing_space", False),
        ("mental_health_crisis", False),
        ("dispute", True),
    ],
)
def test_some_holds_can_never_be_overridden(cn_borrower, supervisor, kind, overridable):
    factories.HoldFactory(borrower=cn_borrower, kind=kind, starts_at=NOON - dt.timedelta(days=1))
    blocked = authorize(cn_borrower, NOON).decision
    if overridable:
        assert decision_override(
            decision=blocked, actor=Actor.of_user(supervisor), reason="documented exception"
        ).allowed
    else:
        with pytest.raises(ValidationError):
            decision_override(decision=blocked, actor=Actor.of_user(supervisor), reason="documented exception")
        assert not ContactAttempt.objects.exists()


# --- replay ----------------------------------------------------------------------------------------------


def test_replay_reproduces_every_stored_decision(cn_borrower, us_borrower, supervisor):
    loan = factories.LoanFactory(borrower=us_borrower, currency="USD")
    for i in range(8):
        authorize(us_borrower, local("America/New_York", 2026, 6, 10, 10 + i, 0), loan=loan, outcome="no_answer")
    authorize(cn_borrower, NIGHT, channel="sms", message="你这个废物")
    overridden = authorize(cn_borrower, NIGHT).decision
    decision_override(decision=overridden, actor=Actor.of_user(supervisor), reason="call back requested")
    assert Decision.objects.filter(allowed=False).count() >= 3
    assert all(replay_decision(d) is None for d in Decision.objects.all())
    call_command("compliance_replay", "--since", "2000-01-01")  # exits 0


def test_replay_reports_a_decision_the_rules_would_now_decide_differently(cn_borrower):
    decision = authorize(cn_borrower, NOON).decision
    # Tamper with the stored facts (bypassing the model's guard, as an attacker with SQL would).
    facts = dict(decision.facts)
    facts["holds"] = [
        {"id": 1, "kind": "cease", "loan_id": None, "starts_at": "2026-01-01T00:00:00+00:00", "ends_at": None}
    ]
    Decision._base_manager.filter(pk=decision.pk).update(facts=facts)
    decision.refresh_from_db()
    difference = replay_decision(decision)
    assert difference is not None and difference.now["failing"] == ["hold_cease"]
    with pytest.raises(CommandError):
        call_command("compliance_replay", str(decision.pk))


def test_replay_uses_the_pack_version_the_decision_was_made_with(cn_borrower):
    for hour in (9, 10):
        log(cn_borrower, local("Asia/Shanghai", 2026, 6, 10, hour, 0), outcome="connected")
    before = check(cn_borrower, NOON).decision
    params = packs.thaw(packs.active_params("CN"))
    params["daily_answered_cap"]["max_answered_calls"] = 2
    RulePack.objects.create(code="CN", version=2, params=params, note="stricter")
    packs.clear_cache()
    after = check(cn_borrower, NOON).decision
    assert before.allowed and not after.allowed
    assert after.pack_versions["CN"] == 2
    assert replay_decision(before) is None and replay_decision(after) is None


def test_rule_pack_versions_are_immutable(db):
    pack = RulePack.objects.get(code="CN", version=1)
    assert pack.params["quiet_hours"] == {"start": "08:00", "end": "22:00", "exempt_channels": ["letter"]}
    pack.note = "edited"
    with pytest.raises(AppendOnlyError):
        pack.save()


def test_every_pack_is_seeded(db):
    assert set(RulePack.objects.values_list("code", flat=True)) == {"COMMON", "CN", "US", "US-MA", "US-WA", "UK"}


def test_the_admin_saves_an_edited_pack_as_a_new_version(admin_user, client):
    client.force_login(admin_user)
    pack = RulePack.objects.get(code="UK", version=1)
    params = dict(pack.params)
    params["call_frequency_cap"] = {"max_per_day": 2, "max_per_window": 10, "window_days": 7}
    import json

    response = client.post(
        f"/admin/compliance/rulepack/{pack.pk}/change/", {"params": json.dumps(params), "note": "FCA review"}
    )
    assert response.status_code == 302, response.content[:2000]
    assert RulePack.objects.get(code="UK", version=1).params["call_frequency_cap"]["max_per_day"] == 3
    assert RulePack.objects.get(code="UK", version=2).params["call_frequency_cap"]["max_per_day"] == 2
    assert packs.active_pack("UK")[0] == 2


def test_the_admin_shows_decisions_and_contacts_read_only(admin_user, client, cn_borrower):
    result = authorize(cn_borrower, NOON)
    client.force_login(admin_user)
    assert client.get(f"/admin/compliance/decision/{result.decision.pk}/change/").status_code == 200
    assert client.post(f"/admin/compliance/decision/{result.decision.pk}/delete/").status_code == 403
    assert client.post(f"/admin/contacts/contactattempt/{result.contact.pk}/delete/").status_code == 403
    assert client.get("/admin/contacts/contactattempt/add/").status_code == 403


# --- screening as a validator ----------------------------------------------------------------------------


def test_screen_text_normalises_width_spacing_and_case():
    assert {f.category for f in screen_text("Ｗｅ ｗｉｌｌ ＣＡＬＬ ＴＨＥ ＰＯＬＩＣＥ")} == {"impersonation"}
    assert {f.category for f in screen_text("k i l l   y o u")} == {"threat"}
    assert {f.category for f in screen_text("傻 - 逼")} == {"insult"}
    assert screen_text("Our new skill centre is open; we assume you know.") == []
    assert screen_text("杀毒软件已更新") == []


@pytest.mark.parametrize("name", ["Holly Wright MD", "Brian Wright MD", "Dr. Scott Md"])
def test_pinyin_initials_are_whole_words_not_letters_across_spaces(name):
    """ "tmd" (他妈的) is an insult as a word; the letters of "Wright MD" run together are a name."""
    assert screen_text(f"Dear {name}, your installment is due today.") == []


@pytest.mark.parametrize("text", ["你TMD还钱", "tmd 还钱", "t m d", "ＴＭＤ"])
def test_pinyin_insults_are_still_caught(text):
    assert [f.term for f in screen_text(text)] == ["tmd"]


def test_the_template_validator_rejects_prohibited_wording():
    validator = ProhibitedContentValidator()
    validator("Dear {name}, your installment is due. Reply STOP to opt out.")
    with pytest.raises(ValidationError) as exc:
        validator("不还钱就通知你的家人和同事")
    assert exc.value.code == "prohibited_content"
