"""History is written under both kinds of caller: a platform key (no user) and a signed-in staff user."""

import pytest

from borrowers.models import Borrower


def _borrower_body(external_id: str) -> dict:
    return {"external_id": external_id, "full_name": "王丽", "region": "CN-31"}


@pytest.mark.django_db
def test_a_platform_key_write_records_history_without_a_user(api):
    response = api.post("/api/v1/borrowers/", _borrower_body("H-1"), format="json")
    assert response.status_code == 201, response.content
    record = Borrower.history.get(external_id="H-1")
    assert record.history_type == "+" and record.history_user is None


@pytest.mark.django_db
def test_a_staff_session_write_records_the_user(client, admin_user, platform):
    client.force_login(admin_user)
    body = {**_borrower_body("H-2"), "platform": platform.pk}
    response = client.post("/api/v1/borrowers/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Borrower.history.get(external_id="H-2").history_user == admin_user
