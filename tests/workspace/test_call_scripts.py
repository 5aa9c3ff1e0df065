"""Call scripts and disclosures (issue 15, item 6): chosen by the borrower's rule packs, the case's stage
and the borrower's language; shown when a call starts; what was read recorded on the contact with its
outcome; shown to quality review."""

from __future__ import annotations

import pytest

from compliance import evidence
from contacts.models import ContactAttempt
from outreach.call_scripts import DEFAULT_CALL_SCRIPTS, scripts_for_call, seed_call_scripts
from outreach.models import CallScript, Disclosure
from supervision.models import QualitySample
from tests import factories

from .conftest import Place, day_place, make_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
MINI_MIRANDA = (
    "This is a communication from a debt collector. This is an attempt to collect a debt and any information "
    "obtained will be used for that purpose."
)
# 19:00 in San Francisco at the workspace tests' NOW: inside the US calling hours (08:00-21:00).
US_DAY = Place("US-CA", "America/Los_Angeles", "+14155550123", "us@example.com")


def _case(place: Place, collector, *, language: str = "en", **kwargs):
    case = make_case(place=place, assigned_to=collector, **kwargs)
    case.borrower.language = language
    case.borrower.save(update_fields=["language"])
    return case


def _codes(scripts) -> list[tuple[str, str, list[str]]]:
    return [(s.pack, s.language, [d.code for d in s.disclosures]) for s in scripts]


# --- selection ----------------------------------------------------------------------------------------------


def test_the_migration_seeds_cn_us_and_uk_in_both_languages():
    seeded = set(CallScript.objects.values_list("pack", "stage", "language"))
    assert seeded == {(s["pack"], s["stage"], s["language"]) for s in DEFAULT_CALL_SCRIPTS}
    assert {pack for pack, _stage, _language in seeded} == {"CN", "US", "UK"}
    assert Disclosure.objects.get(script__pack="US", script__language="en", code="mini_miranda").text == MINI_MIRANDA
    assert seed_call_scripts() == 0  # idempotent: nothing missing, nothing overwritten


def test_a_cn_case_shows_the_identity_statement_in_chinese_filled_in(collector):
    collector.first_name, collector.last_name = "明", "李"
    collector.save()
    case = _case(day_place(), collector, language="zh-hans", stage="m1", dpd=20)

    (script,) = scripts_for_call(case=case, borrower=case.borrower, user=collector)

    assert (script.pack, script.stage, script.language) == ("CN", "", "zh-hans")
    texts = {d.code: d.text for d in script.disclosures}
    platform = case.borrower.platform.name
    assert texts["identity"] == f"您好，我是{platform}的催收员明 李。"
    assert texts["on_behalf_of"] == f"我受{platform}委托，就您在{platform}的借款与您联系。"
    assert texts["debt"] == f"您的借款{case.loan.external_id}已逾期20天，逾期金额1,060.00{case.loan.currency}。"
    assert [d.required for d in script.disclosures] == [True, True, True, False]


def test_an_agency_collector_calls_for_the_agency_on_behalf_of_the_platform(collector):
    agency = factories.AgencyFactory(name="Acme Recoveries")
    agent = factories.UserFactory(role="agency_collector", agency=agency, first_name="Ann", last_name="Lee")
    case = _case(US_DAY, collector)

    (script,) = scripts_for_call(case=case, borrower=case.borrower, user=agent)

    identity = next(d.text for d in script.disclosures if d.code == "identity")
    assert identity == f"My name is Ann Lee, calling from Acme Recoveries for {case.borrower.platform.name}."


def test_the_stage_s_own_script_is_chosen_over_the_pack_s_all_stage_one(collector):
    pre_due = _case(day_place(), collector, language="zh-hans", stage="pre_due", dpd=0)
    overdue = _case(day_place(), collector, language="zh-hans", stage="m3", dpd=70)

    (for_pre_due,) = scripts_for_call(case=pre_due, borrower=pre_due.borrower, user=collector)
    (for_overdue,) = scripts_for_call(case=overdue, borrower=overdue.borrower, user=collector)

    assert (for_pre_due.stage, for_pre_due.title) == ("pre_due", "还款提醒电话开场")
    assert for_overdue.stage == ""
    assert "逾期70天" in next(d.text for d in for_overdue.disclosures if d.code == "debt")


def test_the_borrower_s_language_first_then_english(collector):
    us_en = _case(US_DAY, collector, language="en")
    us_zh = _case(US_DAY, collector, language="zh-hans")
    # A state overlay with a script in English only: a Chinese-speaking borrower still gets it, after the
    # jurisdiction's own (in Chinese).
    overlay = CallScript.objects.create(pack="US-MA", language="en", title="Massachusetts")
    Disclosure.objects.create(script=overlay, code="ma_notice", text="A Massachusetts notice.")
    us_ma_zh = _case(
        Place("US-MA", "America/New_York", "+16175550123", "ma@example.com"), collector, language="zh-hans"
    )

    assert _codes(scripts_for_call(case=us_en, borrower=us_en.borrower, user=collector)) == [
        ("US", "en", ["identity", "mini_miranda", "recording"])
    ]
    (zh,) = scripts_for_call(case=us_zh, borrower=us_zh.borrower, user=collector)
    assert zh.language == "zh-hans" and zh.disclosures[1].text.startswith("这是债务催收员的来电")
    assert _codes(scripts_for_call(case=us_ma_zh, borrower=us_ma_zh.borrower, user=collector)) == [
        ("US", "zh-hans", ["identity", "mini_miranda", "recording"]),
        ("US-MA", "en", ["ma_notice"]),
    ]


def test_an_inactive_script_is_not_shown_and_an_edit_is_shown_at_once(collector):
    case = _case(Place("GB-ENG", "Europe/London", "+442079460123", "gb@example.com"), collector)
    script = CallScript.objects.get(pack="UK", stage="", language="en")
    Disclosure.objects.filter(script=script, code="purpose").update(text="About {loan_ref}, in arrears.")

    (shown,) = scripts_for_call(case=case, borrower=case.borrower, user=collector)
    assert (
        next(d.text for d in shown.disclosures if d.code == "purpose") == f"About {case.loan.external_id}, in arrears."
    )

    CallScript.objects.filter(pk=script.pk).update(active=False)  # the pack's other language is shown
    assert _codes(scripts_for_call(case=case, borrower=case.borrower, user=collector)) == [
        ("UK", "zh-hans", ["identity", "purpose", "recording"])
    ]
    CallScript.objects.filter(pack="UK").update(active=False)
    assert scripts_for_call(case=case, borrower=case.borrower, user=collector) == []


def test_a_script_with_prohibited_wording_is_refused_in_the_admin_form():
    script = CallScript(pack="CN", stage="m2", language="zh-hans", title="t", body="不还钱就上门，通知你的家人和单位")
    with pytest.raises(Exception) as refused:
        script.full_clean()
    assert "body" in refused.value.message_dict  # type: ignore[attr-defined]


# --- the call panel and the record --------------------------------------------------------------------------


def _start_call(client, case) -> tuple[ContactAttempt, str]:
    point = f"phone:{case.borrower.phones.get().pk}"
    started = client.post(f"/cases/{case.pk}/call/", {"point": point}, **HTMX)
    assert started.status_code == 200
    return ContactAttempt.objects.get(case=case), started.content.decode()


def test_starting_a_call_shows_the_script_with_a_checkbox_per_disclosure(client, collector):
    case = _case(US_DAY, collector)
    client.force_login(collector)

    _contact, html = _start_call(client, case)

    assert 'id="call-script"' in html
    assert MINI_MIRANDA in html
    for key in ("US:identity", "US:mini_miranda", "US:recording"):
        assert f'name="disclosures" value="{key}"' in html


def test_the_disclosures_read_are_recorded_on_the_contact_with_its_outcome(client, collector):
    case = _case(US_DAY, collector)
    client.force_login(collector)
    contact, _html = _start_call(client, case)

    response = client.post(
        f"/cases/{case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "disclosures": ["US:identity", "US:mini_miranda"]},
        **HTMX,
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.outcome == "right_party"
    assert [(d["code"], d["required"], d["read"]) for d in contact.disclosures] == [
        ("identity", True, True),
        ("mini_miranda", True, True),
        ("recording", False, False),
    ]
    assert contact.disclosures[1]["text"] == MINI_MIRANDA and contact.disclosures[1]["pack"] == "US"
    # Recording the disclosures with the outcome leaves the borrower's evidence chain verifiable.
    assert evidence.verify(borrower_ids=[case.borrower_id]).ok


def test_none_ticked_is_recorded_as_none_read(client, collector):
    case = _case(US_DAY, collector)
    client.force_login(collector)
    contact, _html = _start_call(client, case)

    client.post(f"/cases/{case.pk}/contacts/{contact.pk}/outcome/", {"outcome": "no_answer"}, **HTMX)

    contact.refresh_from_db()
    assert contact.outcome == "no_answer" and not any(d["read"] for d in contact.disclosures)
    assert len(contact.disclosures) == 3


def test_a_disclosure_the_script_did_not_show_is_refused_and_nothing_recorded(client, collector):
    case = _case(US_DAY, collector)
    client.force_login(collector)
    contact, _html = _start_call(client, case)

    response = client.post(
        f"/cases/{case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "disclosures": ["CN:identity"]},
        **HTMX,
    )

    contact.refresh_from_db()
    assert contact.is_pending and contact.disclosures == []
    html = response.content.decode()
    assert 'id="outcome-form"' in html and "CN:identity is not one of the available choices" in html


# --- quality review ------------------------------------------------------------------------------------------


def test_quality_review_shows_what_was_read_and_what_was_not(client, collector, supervisor):
    case = _case(US_DAY, collector)
    client.force_login(collector)
    contact, _html = _start_call(client, case)
    client.post(
        f"/cases/{case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "disclosures": ["US:identity"]},
        **HTMX,
    )
    sample = QualitySample.objects.create(contact=contact, reason="collector_share")
    client.force_login(supervisor)

    html = client.get(f"/supervision/quality/{sample.pk}/").content.decode()

    assert "Required disclosures read: 1 of 2." in html
    assert 'class="disclosure-list__item is-read" data-code="identity"' in html
    assert 'class="disclosure-list__item is-missed" data-code="mini_miranda"' in html
    assert MINI_MIRANDA in html
    # The "disclosure made" check starts unticked: a required disclosure was not read.
    assert 'name="disclosure_made"' in html and 'name="disclosure_made" id="id_disclosure_made" checked' not in html


def test_quality_review_ticks_disclosure_made_when_every_required_one_was_read(client, collector, supervisor):
    case = _case(US_DAY, collector)
    client.force_login(collector)
    contact, _html = _start_call(client, case)
    client.post(
        f"/cases/{case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "disclosures": ["US:identity", "US:mini_miranda"]},
        **HTMX,
    )
    sample = QualitySample.objects.create(contact=contact, reason="collector_share")
    client.force_login(supervisor)

    html = client.get(f"/supervision/quality/{sample.pk}/").content.decode()

    assert "Required disclosures read: 2 of 2." in html
    assert 'name="disclosure_made" id="id_disclosure_made" checked' in html


def test_quality_review_of_a_contact_without_a_script_says_so(client, collector, supervisor):
    case = _case(day_place(), collector)
    CallScript.objects.all().delete()
    client.force_login(collector)
    contact, html = _start_call(client, case)
    assert 'id="call-script"' not in html
    client.post(f"/cases/{case.pk}/contacts/{contact.pk}/outcome/", {"outcome": "no_answer"}, **HTMX)
    sample = QualitySample.objects.create(contact=contact, reason="collector_share")
    client.force_login(supervisor)

    html = client.get(f"/supervision/quality/{sample.pk}/").content.decode()

    assert 'id="disclosures-none"' in html
