"""The evidence page: state shown, verification run on demand by a button."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from compliance.models import VerificationRun

pytestmark = pytest.mark.django_db


def test_the_page_does_not_verify_on_load(client, book, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("supervision:evidence"))
    assert response.status_code == 200
    assert VerificationRun.objects.count() == 0
    assert "Not verified yet" in response.content.decode()


def test_a_run_on_demand_reports_the_broken_record(client, book, supervisor):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_contactattempt SET notes = %s WHERE id = %s", ["rewritten", book.c1.pk])
    client.force_login(supervisor)

    response = client.post(reverse("supervision:evidence"), {"scope": "all", "limit": 10}, follow=True)

    run = VerificationRun.objects.get()
    assert (run.ok, run.started_by, run.borrowers_checked) == (False, supervisor, 3)
    assert [(f["kind"], f["object_id"], f["problem"]) for f in run.failures] == [
        ("contact_outcome", book.c1.pk, "altered")
    ]
    html = response.content.decode()
    assert "Broken" in html
    assert f"contact_outcome {book.c1.pk}" in html


def test_recent_scope_and_compliance_read_access(client, book, compliance_officer, collector):
    client.force_login(compliance_officer)
    client.post(reverse("supervision:evidence"), {"scope": "recent", "limit": 2})
    run = VerificationRun.objects.get()
    assert (run.ok, run.borrowers_checked) == (True, 2)
    client.force_login(collector)
    assert client.get(reverse("supervision:evidence")).status_code == 403
    assert client.post(reverse("supervision:evidence"), {"scope": "all", "limit": 1}).status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "compliance_evidencelink",
        "compliance_verificationrun",
        "supervision_agencycontract",
        "supervision_qualitysample",
        "supervision_qualityreview",
    ],
)
def test_admin_lists_supervision_records(client, admin_user, book, model):
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_evidence_links_cannot_be_edited_in_the_admin(client, admin_user, book):
    from compliance.models import EvidenceLink

    link = EvidenceLink.objects.first()
    client.force_login(admin_user)
    url = reverse("admin:compliance_evidencelink_change", args=[link.pk])
    client.post(url, {"content_hash": "0" * 64})
    link_after = EvidenceLink.objects.get(pk=link.pk)
    assert link_after.content_hash == link.content_hash
    assert client.get(reverse("admin:compliance_evidencelink_add")).status_code == 403
