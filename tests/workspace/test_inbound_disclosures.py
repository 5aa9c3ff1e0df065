"""Required disclosures on inbound calls and on contacts reported through the API (issue 15, item 6): the
inbound call form shows the call script of the borrower's packs and stage and records what was read, as an
outbound call's outcome does; POST /contacts/ takes an optional disclosures list and writes it on the contact."""

from __future__ import annotations

import pytest

from contacts.models import ContactAttempt
from tests import factories

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_inbound_form_shows_the_script_of_the_borrowers_pack(client, collector, night_case):
    client.force_login(collector)

    html = client.get(f"/cases/{night_case.pk}/").content.decode()

    inbound = html.split('id="inbound-form"')[1].split("</form>")[0]
    assert 'id="inbound-call-script"' in inbound
    # A GB borrower: the UK pack's statements, each a checkbox keyed by pack and code.
    assert 'name="disclosures" value="UK:' in inbound


def test_an_inbound_call_records_which_disclosures_were_read(client, collector, night_case):
    client.force_login(collector)
    page = client.get(f"/cases/{night_case.pk}/")
    scripts = page.context["inbound_scripts"]
    keys = [d.key for s in scripts for d in s.disclosures]
    assert len(keys) >= 2

    response = client.post(
        f"/cases/{night_case.pk}/inbound-call/",
        {"point": "", "outcome": "right_party", "duration_s": "60", "notes": "", "disclosures": [keys[0]]},
        **HTMX,
    )

    assert response.status_code == 200 and "Inbound call recorded." in response.content.decode()
    contact = ContactAttempt.objects.get(case=night_case)
    assert [d["pack"] + ":" + d["code"] for d in contact.disclosures] == keys
    assert [d["read"] for d in contact.disclosures] == [True] + [False] * (len(keys) - 1)
    assert all(d["text"] for d in contact.disclosures)  # kept as shown, for the review


def test_an_inbound_call_refuses_a_disclosure_the_form_did_not_show(client, collector, night_case):
    client.force_login(collector)

    response = client.post(
        f"/cases/{night_case.pk}/inbound-call/",
        {"point": "", "outcome": "right_party", "disclosures": ["US:mini_miranda"]},
        **HTMX,
    )

    assert not ContactAttempt.objects.filter(case=night_case).exists()
    assert response.status_code in (200, 400)


def test_the_api_records_the_disclosures_a_dialer_reports(api, platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-D1")
    reported = [
        {"pack": "CN", "code": "identity", "text": "您好，我是…", "required": True, "read": True},
        {"code": "debt", "required": True, "read": False},
    ]

    response = api.post(
        "/api/v1/contacts/",
        {
            "borrower": "B-D1",
            "channel": "call",
            "direction": "inbound",
            "outcome": "connected",
            "disclosures": reported,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    contact = ContactAttempt.objects.get(borrower=borrower)
    assert contact.disclosures == [
        {"pack": "CN", "code": "identity", "text": "您好，我是…", "required": True, "read": True},
        {"pack": "", "code": "debt", "text": "", "required": True, "read": False},
    ]
    assert "disclosures" not in response.json()  # the documented response is unchanged


def test_the_api_records_disclosures_on_an_outbound_call_with_its_outcome(api, platform):
    case = make_case(place=day_place(), platform=platform)
    case.borrower.external_id = "B-D2"
    case.borrower.save(update_fields=["external_id"])
    body = {
        "borrower": "B-D2",
        "channel": "call",
        "outcome": "right_party",
        "disclosures": [{"pack": "CN", "code": "identity", "required": True, "read": True}],
    }

    response = api.post("/api/v1/contacts/", body, format="json")

    assert response.status_code == 201, response.content
    contact = ContactAttempt.objects.get(pk=response.json()["id"])
    assert contact.outcome == "right_party"
    assert contact.disclosures == [{"pack": "CN", "code": "identity", "text": "", "required": True, "read": True}]


def test_the_api_refuses_a_malformed_disclosure(api, platform):
    factories.BorrowerFactory(platform=platform, external_id="B-D3")

    response = api.post(
        "/api/v1/contacts/",
        {"borrower": "B-D3", "channel": "call", "direction": "inbound", "disclosures": [{"code": "x y"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "disclosures" in response.json()
    assert not ContactAttempt.objects.exists()
