"""Quality review: what the sampler picks, the scorecard and the per-collector results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from supervision import selectors, services
from supervision.models import QualityReview, QualitySample
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory

from .conftest import D1
from .factories import ContactFactory

pytestmark = pytest.mark.django_db

SCORECARD = {
    "identity_verified": True,
    "disclosure_made": True,
    "tone": 4,
    "no_prohibited_content": True,
    "correct_outcome": False,
    "comment": "Outcome should have been promise",
}


@pytest.fixture
def calls(book, platform, collector, other_collector):
    """20 more calls for the first collector and 10 for the second, on D1."""
    extra = {collector.pk: [], other_collector.pk: []}
    for actor, count in ((collector, 20), (other_collector, 10)):
        case = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)), assigned_to=actor)
        for i in range(count):
            c = ContactFactory(
                borrower=case.borrower,
                case=case,
                actor_user=actor,
                at=D1 + dt.timedelta(minutes=i),
                outcome="no_answer",
            )
            extra[actor.pk].append(c.pk)
    return extra


def _draw(supervisor, seed: int = 7, share: int = 10):
    return services.quality_samples_draw(
        user=supervisor, date_from=D1.date(), date_to=(D1 + dt.timedelta(days=2)).date(), share_percent=share, seed=seed
    )


def test_every_overridden_action_and_a_share_of_each_collectors_calls(
    book, calls, supervisor, collector, other_collector, agency_collector
):
    result = _draw(supervisor)

    by_reason = {}
    for s in result.created:
        by_reason.setdefault(s.reason, []).append(s.contact)
    assert [c.pk for c in by_reason["override"]] == [book.c5.pk]
    per_actor = {}
    for c in by_reason["collector_share"]:
        per_actor.setdefault(c.actor_user_id, []).append(c.pk)
    # 10% rounded up: collector has 21 calls → 3, the other 10 → 1, the agency agent 1 → 1.
    assert {k: len(v) for k, v in per_actor.items()} == {collector.pk: 3, other_collector.pk: 1, agency_collector.pk: 1}
    # Only outbound calls: c2 is an SMS, c4 inbound.
    picked = {c.pk for c in by_reason["collector_share"]}
    assert book.c2.pk not in picked and book.c4.pk not in picked


def test_the_same_seed_picks_the_same_calls(book, calls, supervisor):
    first = {s.contact_id for s in _draw(supervisor, seed=42).created}
    QualitySample.objects.all().delete()
    assert {s.contact_id for s in _draw(supervisor, seed=42).created} == first
    QualitySample.objects.all().delete()
    different = [{s.contact_id for s in _draw(supervisor, seed=s).created} for s in range(5)]
    assert any(d != first for d in different)


def test_a_contact_is_never_sampled_twice(book, calls, supervisor):
    first = {s.contact_id for s in _draw(supervisor, share=50).created}
    second = {s.contact_id for s in _draw(supervisor, share=50).created}
    assert first.isdisjoint(second)
    assert book.c5.pk in first


def test_the_scorecard_is_saved_with_its_score(book, supervisor):
    sample = QualitySample.objects.create(contact=book.c1, reason="collector_share")

    review = services.quality_review_save(sample=sample, reviewer=supervisor, data=SCORECARD)

    # 3 checks passed × 20 + tone 4 → 15.
    assert review.score == 75
    with pytest.raises(ValidationError):
        services.quality_review_save(sample=sample, reviewer=supervisor, data=SCORECARD)


def test_prohibited_content_scores_zero(book, supervisor):
    sample = QualitySample.objects.create(contact=book.c1, reason="collector_share")
    review = services.quality_review_save(
        sample=sample, reviewer=supervisor, data=SCORECARD | {"no_prohibited_content": False}
    )
    assert review.score == 0


def test_a_supervisor_cannot_review_their_own_call(book, supervisor):
    sample = QualitySample.objects.create(contact=book.c5, reason="override")  # c5 was the supervisor's call
    with pytest.raises(ValidationError, match="own call"):
        services.quality_review_save(sample=sample, reviewer=supervisor, data=SCORECARD)


def test_results_per_collector(book, supervisor, collector, other_collector):
    for contact, data in (
        (book.c1, SCORECARD),
        (book.c2, SCORECARD | {"tone": 5, "correct_outcome": True}),
    ):
        sample = QualitySample.objects.create(contact=contact, reason="collector_share")
        services.quality_review_save(sample=sample, reviewer=supervisor, data=data)
    extra = ContactFactory(borrower=book.case1.borrower, case=book.case1, actor_user=collector, at=D1)
    services.quality_review_save(
        sample=QualitySample.objects.create(contact=extra, reason="collector_share"),
        reviewer=supervisor,
        data=SCORECARD | {"identity_verified": False},
    )

    rows = {r["collector"]: r for r in selectors.quality_results(user=supervisor)}

    # collector: scores 75 and 55 → 65; identity verified 1 of 2.
    assert (rows["collector"]["reviews"], rows["collector"]["avg_score"], rows["collector"]["identity_rate"]) == (
        2,
        65.0,
        50.0,
    )
    assert (rows["collector2"]["reviews"], rows["collector2"]["avg_score"], rows["collector2"]["outcome_rate"]) == (
        1,
        100.0,
        100.0,
    )


def test_review_from_the_pages(client, book, calls, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:quality"),
        {"date_from": D1.date(), "date_to": D1.date(), "share_percent": 10, "seed": 3},
    )
    assert response.status_code == 302
    sample = QualitySample.objects.filter(contact__actor_user__username="collector").first()
    page = client.get(reverse("supervision:quality-review", args=[sample.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("supervision:quality-review", args=[sample.pk]),
        {k: ("on" if v is True else v) for k, v in SCORECARD.items() if v is not False},
    )
    assert response.status_code == 302
    review = QualityReview.objects.get(sample=sample)
    assert (review.reviewer, review.score, review.correct_outcome) == (supervisor, 75, False)
    listing = client.get(reverse("supervision:quality")).content.decode()
    assert "75/100" in listing
