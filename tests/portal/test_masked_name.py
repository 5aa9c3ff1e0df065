"""Privacy before the second factor (issue 15): the confirm page greets the borrower by a masked name; the full
name appears only once the second factor is given."""

from __future__ import annotations

import pytest
from django.test import Client

from borrowers.masking import mask_name

from .conftest import BIRTHDAY

pytestmark = pytest.mark.django_db


def test_mask_name_keeps_each_parts_first_character():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("John  Smith") == "J*** S****"
    assert mask_name("") == "*"


def test_the_confirm_page_masks_the_name_until_the_second_factor(client: Client, link_and_token):
    link, token = link_and_token
    borrower = link.case.borrower
    borrower.full_name = "Wang Xiaoming"
    borrower.save()

    before = client.get(f"/p/{token}/").content.decode()
    assert "Wang Xiaoming" not in before
    assert "Xiaoming" not in before
    assert "W*** X*******" in before

    client.post(f"/p/{token}/", {"answer": BIRTHDAY.isoformat()})
    after = client.get(f"/p/{token}/home/").content.decode()
    assert "Wang Xiaoming" in after
