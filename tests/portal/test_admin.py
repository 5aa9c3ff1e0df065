"""The administrator's side of the portal: a platform's portal settings (its payment page checked) and
revoking a link."""

from __future__ import annotations

import pytest

from accounts.admin import payment_url_template_errors
from portal.models import PortalLink
from portal.services import portal_link_find

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://pay.example.com/?amount={amount}&ref={reference}&cur={currency}", True),
        ("https://pay.example.com/static", True),
        ("http://pay.example.com/?a={amount}", False),
        ("https://pay.example.com/?a={amount}&b={borrower_name}", False),
        ("https://pay.example.com/?a={amount", False),
    ],
)
def test_the_payment_page_template_is_checked(value, ok):
    assert (payment_url_template_errors(value) == []) is ok


def test_the_platform_form_saves_the_portal_settings(client, admin_user, platform):
    client.force_login(admin_user)
    url = f"/admin/accounts/platform/{platform.pk}/change/"
    form = {
        "name": platform.name,
        "default_jurisdiction": "CN",
        "is_active": "on",
        "webhook_url": "",
        "webhook_secret": "",
        "portal_second_factor": "national_id_last4",
        "payment_url_template": "http://insecure.example.com/?a={amount}",
        "portal_promise_max_days": "10",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and b"https://" in refused.content
    form["payment_url_template"] = "https://pay.example.com/?a={amount}&r={reference}"
    assert client.post(url, form).status_code == 302
    platform.refresh_from_db()
    assert platform.portal_second_factor == "national_id_last4" and platform.portal_promise_max_days == 10


def test_an_administrator_revokes_a_link(client, admin_user, link_and_token):
    link, token = link_and_token
    client.force_login(admin_user)
    response = client.post(
        "/admin/portal/portallink/", {"action": "revoke", "_selected_action": [link.pk]}, follow=True
    )
    assert response.status_code == 200
    assert PortalLink.objects.get(pk=link.pk).revoked_at is not None
    assert portal_link_find(token) is None
    assert client.get(f"/p/{token}/").status_code == 410
