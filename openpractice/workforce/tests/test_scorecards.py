"""Scorecards: only the people on the interview write one, rating every active criterion; they edit it while the
applicant is interviewing or has an offer; hiring staff see all with averages; schedule-only staff see none; an
interviewer sees the others only after submitting. Criteria admin for workforce.manage holders."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.workforce.choices import ApplicantStage, Recommendation
from openpractice.workforce.models import Applicant, Interview, Scorecard, ScorecardCriterion, ScorecardRating
from openpractice.workforce.selectors.interviews import criteria_for, scorecard_view
from openpractice.workforce.services.scorecards import criterion_create, criterion_update, scorecard_submit

from .factories import PositionFactory
from .route_samples_interviews import make_interview

pytestmark = pytest.mark.django_db


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()


def cards_state() -> tuple[Any, ...]:
    return (list(Scorecard.objects.values_list("pk", "interviewer_id", "recommendation", "summary")),
            list(ScorecardRating.objects.values_list("pk", "rating", "comment")))


def all_fours(interview: Interview, value: int = 4) -> dict[int, tuple[int, str]]:
    return {criterion.pk: (value, "") for criterion in criteria_for(interview)}


@pytest.fixture
def panel(make_user: Any, north: Any) -> list[Any]:
    return [make_user(Role.FRONT_DESK, locations=[north]), make_user(Role.CLINICAL_STAFF, locations=[north])]


@pytest.fixture
def interview(north: Any, panel: list[Any]) -> Interview:
    interview = make_interview(location=north, interviewer=panel[0])
    interview.interviewers.add(panel[1])
    return interview


def test_criteria_are_the_practice_wide_ones_and_the_positions_own_in_order(interview: Interview) -> None:
    position = interview.applicant.requisition.position
    own = ScorecardCriterion.objects.create(position=position, name="Epic scheduling", order=0)
    ScorecardCriterion.objects.create(position=PositionFactory(), name="Another position's", order=0)
    retired = ScorecardCriterion.objects.create(name="Retired", order=0, is_active=False)
    names = [criterion.name for criterion in criteria_for(interview)]
    practice_wide = list(ScorecardCriterion.objects.filter(position__isnull=True, is_active=True)
                         .order_by("order", "name", "pk").values_list("name", flat=True))
    assert len(practice_wide) >= 7  # the seeded criteria
    assert own.name in names
    assert "Another position's" not in names
    assert retired.name not in names
    assert set(names) == {*practice_wide, own.name}
    orders = [criterion.order for criterion in criteria_for(interview)]
    assert orders == sorted(orders)


def test_an_interviewer_submits_one_scorecard_and_edits_it(interview: Interview, panel: list[Any]) -> None:
    card = scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview),
                            recommendation=Recommendation.YES, summary="Good")
    assert card.ratings.count() == len(criteria_for(interview))
    again = scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview, 2),
                             recommendation=Recommendation.NO, summary="Thought again")
    assert again.pk == card.pk
    assert Scorecard.objects.count() == 1
    assert set(again.ratings.values_list("rating", flat=True)) == {2}
    assert AuditEvent.objects.filter(action="scorecards.updated", object_id=str(card.pk)).exists()


def test_every_criterion_needs_a_rating_from_1_to_5(interview: Interview, panel: list[Any]) -> None:
    ratings = all_fours(interview)
    first = next(iter(ratings))
    missing = {pk: value for pk, value in ratings.items() if pk != first}
    with pytest.raises(ValidationError) as caught:
        scorecard_submit(actor=panel[0], interview=interview, ratings=missing, recommendation=Recommendation.YES)
    assert f"rating_{first}" in caught.value.message_dict
    with pytest.raises(ValidationError):
        scorecard_submit(actor=panel[0], interview=interview, ratings={**ratings, first: (6, "")},
                         recommendation=Recommendation.YES)
    with pytest.raises(ValidationError):
        scorecard_submit(actor=panel[0], interview=interview, ratings=ratings, recommendation="maybe")
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize("stage", [ApplicantStage.REJECTED, ApplicantStage.HIRED, ApplicantStage.WITHDRAWN])
def test_scorecards_close_when_the_applicant_leaves_interview_and_offer(
        interview: Interview, panel: list[Any], stage: str) -> None:
    card = scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview),
                            recommendation=Recommendation.YES)
    Applicant.objects.filter(pk=interview.applicant_id).update(stage=stage)
    interview.applicant.refresh_from_db()
    before = cards_state()
    with pytest.raises(ValidationError):
        scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview, 1),
                         recommendation=Recommendation.STRONG_NO)
    assert cards_state() == before
    assert card.ratings.filter(rating=4).count() == card.ratings.count()


def test_still_editable_at_the_offer_stage(interview: Interview, panel: list[Any]) -> None:
    Applicant.objects.filter(pk=interview.applicant_id).update(stage=ApplicantStage.OFFER)
    interview.applicant.refresh_from_db()
    card = scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview),
                            recommendation=Recommendation.YES)
    assert card.pk


def test_an_interviewer_of_another_interview_cannot_submit(interview: Interview, north: Any,
                                                          make_user: Any) -> None:
    outsider = make_user(Role.FRONT_DESK, locations=[north])
    make_interview(location=north, interviewer=outsider)  # on a different interview
    before = cards_state()
    with pytest.raises(PermissionDenied):
        scorecard_submit(actor=outsider, interview=interview, ratings=all_fours(interview),
                         recommendation=Recommendation.YES)
    assert cards_state() == before
    assert denials(outsider) == 1


def test_hiring_staff_who_are_not_on_the_interview_cannot_submit_either(interview: Interview, north: Any,
                                                                       make_user: Any, client: Any) -> None:
    hiring = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    sign_in(client, hiring)
    before = cards_state()
    url = reverse("workforce:interview_scorecard", kwargs={"interview_id": interview.pk})
    data = {f"rating_{pk}": "5" for pk in all_fours(interview)} | {"recommendation": "yes"}
    assert client.post(url, data).status_code == 404
    assert cards_state() == before
    assert denials(hiring) == 1


def _submit_both(interview: Interview, panel: list[Any]) -> None:
    scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview, 4),
                     recommendation=Recommendation.YES)
    scorecard_submit(actor=panel[1], interview=interview, ratings=all_fours(interview, 2),
                     recommendation=Recommendation.NO, summary="Late, unprepared")


def test_hiring_staff_see_all_scorecards_with_averages(interview: Interview, panel: list[Any], north: Any,
                                                      make_user: Any, client: Any) -> None:
    _submit_both(interview, panel)
    hiring = make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])
    view = scorecard_view(actor=hiring, interview=interview, criteria=criteria_for(interview))
    assert view.summary is not None
    assert view.summary.count == 2
    assert {row.average for row in view.summary.averages} == {3.0}
    assert {value: count for value, _label, count in view.summary.recommendations} == {
        "strong_yes": 0, "yes": 1, "no": 1, "strong_no": 0}
    sign_in(client, hiring)
    response = client.get(reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}))
    assert response.status_code == 200
    assert b"Late, unprepared" in response.content


def test_schedule_holders_see_the_interview_but_not_the_scorecards(interview: Interview, panel: list[Any],
                                                                  north: Any, make_user: Any,
                                                                  client: Any) -> None:
    _submit_both(interview, panel)
    scheduler = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north])
    view = scorecard_view(actor=scheduler, interview=interview, criteria=criteria_for(interview))
    assert view.summary is None
    assert view.others == []
    sign_in(client, scheduler)
    response = client.get(reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk}))
    assert response.status_code == 200
    assert b"Late, unprepared" not in response.content
    before = cards_state()
    assert client.get(reverse("workforce:interview_scorecard",
                              kwargs={"interview_id": interview.pk})).status_code == 404
    assert cards_state() == before
    assert denials(scheduler) == 1


def test_an_interviewer_sees_the_others_only_after_submitting(interview: Interview, panel: list[Any],
                                                              client: Any) -> None:
    scorecard_submit(actor=panel[1], interview=interview, ratings=all_fours(interview, 2),
                     recommendation=Recommendation.NO, summary="Late, unprepared")
    view = scorecard_view(actor=panel[0], interview=interview, criteria=criteria_for(interview))
    assert view.hidden_until_submitted
    assert view.others == []
    assert view.summary is None
    sign_in(client, panel[0])
    url = reverse("workforce:interview_detail", kwargs={"interview_id": interview.pk})
    assert b"Late, unprepared" not in client.get(url).content
    scorecard_submit(actor=panel[0], interview=interview, ratings=all_fours(interview),
                     recommendation=Recommendation.YES)
    view = scorecard_view(actor=panel[0], interview=interview, criteria=criteria_for(interview))
    assert not view.hidden_until_submitted
    assert len(view.others) == 1
    assert b"Late, unprepared" in client.get(url).content


def test_the_scorecard_page_saves_through_the_form(interview: Interview, panel: list[Any], client: Any) -> None:
    sign_in(client, panel[0])
    url = reverse("workforce:interview_scorecard", kwargs={"interview_id": interview.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"recommendation": "yes"}).status_code == 400
    data = {f"rating_{pk}": "5" for pk in all_fours(interview)} | {"recommendation": "strong_yes",
                                                                    "summary": "Great"}
    response = client.post(url, data)
    assert response.status_code == 302
    card = Scorecard.objects.get(interviewer=panel[0])
    assert card.recommendation == "strong_yes"
    assert set(card.ratings.values_list("rating", flat=True)) == {5}


# --- criteria admin ------------------------------------------------------------------------------------------


def test_hr_adds_edits_and_retires_criteria(make_user: Any, client: Any) -> None:
    hr = make_user(Role.HR)
    sign_in(client, hr)
    position = PositionFactory()
    response = client.post(reverse("workforce:criterion_create"), {
        "position": str(position.pk), "name": "Knows our EHR", "guidance": "Has used it", "order": "3",
        "is_active": "on"})
    assert response.status_code == 302
    criterion = ScorecardCriterion.objects.get(name="Knows our EHR")
    assert criterion.position == position
    response = client.post(reverse("workforce:criterion_edit", kwargs={"pk": criterion.pk}), {
        "position": str(position.pk), "name": "Knows our EHR", "guidance": "Has used it", "order": "3"})
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.is_active is False
    assert client.get(reverse("workforce:criterion_list")).status_code == 200


def test_criteria_admin_refuses_without_workforce_manage(make_user: Any, client: Any) -> None:
    hiring = make_user(Role.OFFICE_MANAGER, Tier.MID)  # hiring, but not workforce.manage
    criterion = ScorecardCriterion.objects.filter(position__isnull=True).first()
    assert criterion is not None
    before = list(ScorecardCriterion.objects.values_list("pk", "name", "is_active"))
    with pytest.raises(PermissionDenied):
        criterion_create(actor=hiring, data={"name": "New"})
    with pytest.raises(PermissionDenied):
        criterion_update(actor=hiring, criterion=criterion, data={"is_active": False})
    sign_in(client, hiring)
    assert client.post(reverse("workforce:criterion_edit", kwargs={"pk": criterion.pk}),
                       {"name": "X"}).status_code == 404
    assert list(ScorecardCriterion.objects.values_list("pk", "name", "is_active")) == before
    assert denials(hiring) == 3


def test_a_retired_criterion_is_no_longer_asked_for(interview: Interview, panel: list[Any],
                                                    make_user: Any) -> None:
    hr = make_user(Role.HR)
    criterion = criteria_for(interview)[0]
    criterion_update(actor=hr, criterion=criterion, data={"is_active": False})
    assert criterion.pk not in {c.pk for c in criteria_for(interview)}
    new = criterion_create(actor=hr, data={"name": "Punctual", "order": 1})
    assert new.pk in {c.pk for c in criteria_for(interview)}
