"""QA peer reviews (issue 5): rubrics, scoring, sampling, reviewing, calibration, "my reviews", QA score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from support.models import Agent, QaCriterion, QaReview, QaRubric, QaScore, Team
from support.qa import selectors as qa_selectors
from support.qa import tasks as qa_tasks
from support.qa.services import (
    QaError,
    ScoreInput,
    compute_score,
    queue_review,
    sample_reviews,
    start_calibration,
    submit_review,
)
from support.records.data import StatusData
from support.records.services.tickets import change_status
from tests.factories import MembershipFactory, UserFactory
from tests.support.conftest import T0, add, at, make_ticket
from tests.support.desk_helpers import count_queries

pytestmark = pytest.mark.django_db

SINCE = T0 - dt.timedelta(days=1)


@pytest.fixture
def qa(world_a):
    a = world_a
    t = a.tenant
    with a.scope():
        members = {name: MembershipFactory(tenant=t, role=Role.AGENT, user=UserFactory(username=f"{name}@alpha.test"))
                   for name in ("ana", "bob", "carl")}
        manager = MembershipFactory(tenant=t, role=Role.MANAGER, user=UserFactory(username="mia@alpha.test"))
        team1 = Team.objects.create(tenant=t, name="Tier 1")
        team2 = Team.objects.create(tenant=t, name="Tier 2")
        agents = {
            "ana": Agent.objects.create(tenant=t, email="ana@alpha.test", name="Ana", team=team1,
                                        user=members["ana"].user),
            "bob": Agent.objects.create(tenant=t, email="bob@alpha.test", name="Bob", team=team1,
                                        user=members["bob"].user),
            "carl": Agent.objects.create(tenant=t, email="carl@alpha.test", name="Carl", team=team2,
                                         user=members["carl"].user),
        }
        rubric = QaRubric.objects.create(tenant=t, name="Standard")
        accuracy = QaCriterion.objects.create(tenant=t, rubric=rubric, name="Accuracy", weight=2, max_score=5,
                                              position=0)
        tone = QaCriterion.objects.create(tenant=t, rubric=rubric, name="Tone", weight=1, max_score=5, position=1)
        yield {"world": a, "tenant": t, "members": members, "manager": manager, "agents": agents,
               "team1": team1, "team2": team2, "rubric": rubric, "accuracy": accuracy, "tone": tone}


def worked_ticket(tenant, ext, agent, *, channel="email", resolved=True, internal_only=False, contact="user-0"):
    """A ticket the agent replied to (publicly, unless ``internal_only``), resolved unless told otherwise."""
    ticket = make_ticket(tenant, ext, contact=contact, channel=channel)
    add(tenant, ticket, f"{ext}-in", channel=channel, started_at=at(1))
    add(tenant, ticket, f"{ext}-out", channel=channel, direction="outbound", author_type="agent", agent=agent.email,
        started_at=at(5), is_internal=internal_only, body=f"reply on {ext}")
    if resolved:
        change_status(tenant=tenant, ticket=ticket, data=StatusData(status="resolved", changed_at=at(30)))
    return ticket


def review_of(qa, ticket, agent, reviewer=None, **extra):
    return QaReview.objects.create(tenant=qa["tenant"], ticket=ticket, agent=agent, rubric=qa["rubric"],
                                   reviewer=reviewer, **extra)


def submit(qa, review, reviewer, accuracy, tone, comment=""):
    return submit_review(tenant=qa["tenant"], review=review, reviewer=reviewer, comment=comment, scores=[
        ScoreInput(criterion=qa["accuracy"], score=accuracy, comment=f"accuracy {accuracy}"),
        ScoreInput(criterion=qa["tone"], score=tone, comment=f"tone {tone}"),
    ])


def url(qa, name, *args):
    return reverse(name, args=[qa["tenant"].slug, *args])


# ---------------------------------------------------------------------------------------------- scoring


def test_score_is_the_weighted_mean_of_fractions_by_hand():
    # weights 2 and 1, max 5: scores 5 and 2 -> 100 * (2 * 5/5 + 1 * 2/5) / 3 = 80
    assert compute_score([(Decimal(2), 5, 5), (Decimal(1), 2, 5)]) == pytest.approx(80.0)
    assert compute_score([(Decimal(0), 5, 5)]) is None


def test_submit_stores_the_score_and_the_criteria_scores(qa):
    with qa["world"].scope():
        ticket = worked_ticket(qa["tenant"], "T-1", qa["agents"]["bob"])
        review = review_of(qa, ticket, qa["agents"]["bob"])
        done = submit(qa, review, qa["members"]["ana"].user, 5, 2, comment="good")
        done.refresh_from_db()
        assert done.score == pytest.approx(80.0)
        assert done.state == QaReview.State.SUBMITTED and done.submitted_at is not None
        assert done.reviewer == qa["members"]["ana"].user
        assert sorted(QaScore.objects.filter(review=done).values_list("criterion__name", "score")) == [
            ("Accuracy", 5), ("Tone", 2)]
        with pytest.raises(QaError, match="already submitted"):
            submit(qa, done, qa["members"]["ana"].user, 1, 1)


def test_service_refuses_self_review_and_scores_above_max(qa):
    with qa["world"].scope():
        ticket = worked_ticket(qa["tenant"], "T-1", qa["agents"]["bob"])
        review = review_of(qa, ticket, qa["agents"]["bob"])
        with pytest.raises(QaError, match="own replies"):
            submit(qa, review, qa["members"]["bob"].user, 5, 5)
        with pytest.raises(QaError, match="Tone: the score must be between 0 and 5"):
            submit(qa, review, qa["members"]["ana"].user, 5, 6)
        review.refresh_from_db()
        assert review.state == QaReview.State.QUEUED and not QaScore.objects.filter(review=review).exists()


def test_queue_review_is_once_per_reviewer_and_never_ones_own(qa):
    with qa["world"].scope():
        ticket = worked_ticket(qa["tenant"], "T-1", qa["agents"]["bob"])
        ana = qa["members"]["ana"].user
        first = queue_review(tenant=qa["tenant"], ticket=ticket, agent=qa["agents"]["bob"], rubric=qa["rubric"],
                             reviewer=ana)
        again = queue_review(tenant=qa["tenant"], ticket=ticket, agent=qa["agents"]["bob"], rubric=qa["rubric"],
                             reviewer=ana)
        assert again.pk == first.pk and first.state == QaReview.State.QUEUED and first.source == "manual"
        with pytest.raises(QaError, match="own replies"):
            queue_review(tenant=qa["tenant"], ticket=ticket, agent=qa["agents"]["bob"], rubric=qa["rubric"],
                         reviewer=qa["members"]["bob"].user)
        when = at(60 * 24)
        done = submit_review(tenant=qa["tenant"], review=first, reviewer=ana, submitted_at=when, scores=[
            ScoreInput(criterion=qa["accuracy"], score=4), ScoreInput(criterion=qa["tone"], score=4)])
        done.refresh_from_db()
        assert done.submitted_at == when and done.score == pytest.approx(80.0)


# ---------------------------------------------------------------------------------------------- rubrics


def _rubric_post(name, rows, *, initial=0):
    data = {"name": name, "criteria-TOTAL_FORMS": str(len(rows)), "criteria-INITIAL_FORMS": str(initial),
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"criteria-{i}-{key}"] = value
    return data


def test_rubric_crud_by_a_manager(qa):
    client = qa["world"].client_for(qa["manager"])
    assert 'name="criteria-TOTAL_FORMS"' in client.get(url(qa, "qa-rubric-create")).content.decode()
    edit = client.get(url(qa, "qa-rubric-detail", qa["rubric"].pk)).content.decode()
    assert 'value="Accuracy"' in edit and 'value="Tone"' in edit
    assert "Build sample" in client.get(url(qa, "qa-queue")).content.decode()
    response = client.post(url(qa, "qa-rubric-create"), _rubric_post("Chat quality", [
        {"name": "Empathy", "weight": "2", "max_score": "5", "position": "0"},
        {"name": "Resolution", "weight": "1", "max_score": "3", "position": "1"},
        {"name": "", "weight": "1", "max_score": "5"},  # a blank extra row is ignored
    ]))
    assert response.status_code == 302, response.content.decode()[:2000]
    with qa["world"].scope():
        rubric = QaRubric.objects.get(name="Chat quality")
        empathy, resolution = QaCriterion.objects.filter(rubric=rubric).order_by("position")
        assert (empathy.name, empathy.weight, empathy.max_score) == ("Empathy", Decimal(2), 5)
    # Edit: change a weight, delete a criterion, add one.
    response = client.post(url(qa, "qa-rubric-detail", rubric.pk), _rubric_post("Chat quality v2", [
        {"criterion_id": empathy.pk, "name": "Empathy", "weight": "3", "max_score": "5", "position": "0"},
        {"criterion_id": resolution.pk, "name": "Resolution", "weight": "1", "max_score": "3", "delete": "on"},
        {"name": "Grammar", "weight": "1", "max_score": "4", "position": "2"},
    ], initial=2))
    assert response.status_code == 302
    with qa["world"].scope():
        rubric.refresh_from_db()
        assert rubric.name == "Chat quality v2"
        assert list(QaCriterion.objects.filter(rubric=rubric).order_by("position").values_list(
            "name", "weight", "max_score")) == [("Empathy", Decimal(3), 5), ("Grammar", Decimal(1), 4)]
    page = client.get(url(qa, "qa-rubric-list")).content.decode()
    assert "Chat quality v2" in page
    assert client.post(url(qa, "qa-rubric-active", rubric.pk), {"active": "0"}).status_code == 302
    with qa["world"].scope():
        rubric.refresh_from_db()
        assert not rubric.is_active
        assert rubric not in qa_selectors.active_rubrics(tenant=qa["tenant"])


def test_rubric_form_errors_name_the_field(qa):
    client = qa["world"].client_for(qa["manager"])
    response = client.post(url(qa, "qa-rubric-create"), _rubric_post("Bad", [
        {"name": "A", "weight": "1", "max_score": "0"},
    ]))
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    response = client.post(url(qa, "qa-rubric-create"), _rubric_post("Dup", [
        {"name": "A", "weight": "1", "max_score": "5"}, {"name": "a", "weight": "1", "max_score": "5"},
    ]))
    assert "Criteria names must be unique: a" in response.content.decode()
    with qa["world"].scope():
        assert not QaRubric.objects.filter(name__in=["Bad", "Dup"]).exists()


def test_a_new_criterion_named_like_one_the_page_did_not_show_is_a_form_error(qa):
    """Found by the form fuzz: a stale page (or a crafted POST) adding "Tone" next to the stored "Tone"
    passed the formset's check (it sees only the submitted rows) and hit the unique constraint: a 500."""
    client = qa["world"].client_for(qa["manager"])
    response = client.post(url(qa, "qa-rubric-detail", qa["rubric"].pk), _rubric_post("Standard", [
        {"name": "Tone", "weight": "1", "max_score": "5"},
    ]))
    assert response.status_code == 200
    assert "names must be unique in the rubric: Tone" in response.content.decode()
    # Swapping two names in one submission meets the constraint half-way: refused, not a 500.
    response = client.post(url(qa, "qa-rubric-detail", qa["rubric"].pk), _rubric_post("Standard", [
        {"criterion_id": qa["accuracy"].pk, "name": "Tone", "weight": "2", "max_score": "5"},
        {"criterion_id": qa["tone"].pk, "name": "Accuracy", "weight": "1", "max_score": "5"},
    ], initial=2))
    assert response.status_code == 200 and "rename in two steps" in response.content.decode()
    with qa["world"].scope():
        assert sorted(QaCriterion.objects.filter(rubric=qa["rubric"]).values_list("pk", "name")) == sorted(
            [(qa["accuracy"].pk, "Accuracy"), (qa["tone"].pk, "Tone")])


def test_a_scored_criterion_cannot_be_deleted(qa):
    with qa["world"].scope():
        review = review_of(qa, worked_ticket(qa["tenant"], "T-1", qa["agents"]["bob"]), qa["agents"]["bob"])
        submit(qa, review, qa["members"]["ana"].user, 4, 4)
    client = qa["world"].client_for(qa["manager"])
    response = client.post(url(qa, "qa-rubric-detail", qa["rubric"].pk), _rubric_post("Standard", [
        {"criterion_id": qa["accuracy"].pk, "name": "Accuracy", "weight": "2", "max_score": "5"},
        {"criterion_id": qa["tone"].pk, "name": "Tone", "weight": "1", "max_score": "5", "delete": "on"},
    ], initial=2))
    assert response.status_code == 200
    assert "Tone: already scored in reviews" in response.content.decode()
    with qa["world"].scope():
        assert QaCriterion.objects.filter(pk=qa["tone"].pk).exists()


@pytest.mark.parametrize("who", ["agent", "csm", "viewer"])
def test_only_admins_and_managers_manage_rubrics(qa, who):
    member = {"agent": qa["members"]["ana"], "csm": qa["world"].csm, "viewer": qa["world"].viewer}[who]
    client = qa["world"].client_for(member)
    assert client.get(url(qa, "qa-rubric-list")).status_code == 403
    assert client.post(url(qa, "qa-rubric-create"), _rubric_post("X", [])).status_code == 403
    assert client.post(url(qa, "qa-rubric-active", qa["rubric"].pk), {"active": "0"}).status_code == 403
    assert client.get(url(qa, "qa-calibration")).status_code == 403
    assert client.post(url(qa, "qa-build-sample"), {}).status_code == 403
    if who != "agent":
        assert client.get(url(qa, "qa-queue")).status_code == 403
    with qa["world"].scope():
        assert QaRubric.objects.get(pk=qa["rubric"].pk).is_active


# --------------------------------------------------------------------------------------------- sampling


def _sampled(qa):
    return sorted((r.agent.name, r.ticket.external_id, r.ticket.channel)
                  for r in QaReview.objects.select_related("agent", "ticket"))


def test_sampling_is_stratified_by_agent_and_channel_without_duplicates(qa):
    t, ana, bob = qa["tenant"], qa["agents"]["ana"], qa["agents"]["bob"]
    with qa["world"].scope():
        for i in range(3):
            worked_ticket(t, f"A-mail-{i}", ana, channel="email")
        worked_ticket(t, "A-chat-0", ana, channel="chat")
        worked_ticket(t, "A-open", ana, channel="email", resolved=False)  # unresolved: never sampled
        worked_ticket(t, "B-note", bob, channel="email", internal_only=True)  # no public reply
        worked_ticket(t, "B-mail", bob, channel="email")
        result = sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=2, include_low_csat=True)
        assert (result.stratified, result.low_csat) == (3, 0)
        first = _sampled(qa)
        ana_rows = [r for r in first if r[0] == "Ana"]
        # two for Ana, spread over her two channels (one chat, one email), one for Bob
        assert sorted(ch for _, _, ch in ana_rows) == ["chat", "email"]
        assert [r for r in first if r[0] == "Bob"] == [("Bob", "B-mail", "email")]
        assert all(r.source == QaReview.Source.STRATIFIED and r.state == QaReview.State.QUEUED
                   and r.reviewer_id is None for r in QaReview.objects.all())
        # Again: only the pairs not yet in any review; then nothing at all.
        again = sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=5, include_low_csat=True)
        assert again.stratified == 2
        assert sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=5).total == 0
        pairs = list(QaReview.objects.values_list("ticket_id", "agent_id"))
        assert len(pairs) == len(set(pairs)) == 5
        assert not QaReview.objects.filter(ticket__external_id__in=["A-open", "B-note"]).exists()


def test_sampling_skips_pairs_already_reviewed_and_old_tickets(qa):
    t, bob = qa["tenant"], qa["agents"]["bob"]
    with qa["world"].scope():
        reviewed = worked_ticket(t, "B-1", bob)
        review_of(qa, reviewed, bob, reviewer=qa["members"]["ana"].user, source=QaReview.Source.MANUAL)
        worked_ticket(t, "B-2", bob)
        result = sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=5)
        assert result.stratified == 1
        assert QaReview.objects.filter(ticket__external_id="B-1").count() == 1
        later = sample_reviews(tenant=t, rubric=qa["rubric"], since=T0 + dt.timedelta(days=1), per_agent=5)
        assert later.total == 0


def test_weekly_task_samples_with_the_newest_active_rubric(qa):
    t = qa["tenant"]
    with qa["world"].scope():
        ticket = worked_ticket(t, "B-1", qa["agents"]["bob"])
        # keeps resolved_at
        change_status(tenant=t, ticket=ticket, data=StatusData(status="resolved", changed_at=timezone.now()))
        ticket.refresh_from_db()
    assert qa_tasks.sample_qa_reviews(t.pk) == {"stratified": 0, "low_csat": 0}  # resolved_at is T0, too old
    with qa["world"].scope():
        fresh = worked_ticket(t, "B-2", qa["agents"]["bob"], resolved=False)
        change_status(tenant=t, ticket=fresh, data=StatusData(status="resolved", changed_at=timezone.now()))
    assert qa_tasks.sample_qa_reviews(t.pk) == {"stratified": 1, "low_csat": 0}
    with qa["world"].scope():
        QaRubric.objects.update(is_active=False)
    assert qa_tasks.sample_qa_reviews(t.pk) == {"skipped": "no active rubric"}


def test_build_sample_button(qa):
    with qa["world"].scope():
        fresh = worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"], resolved=False)
        change_status(tenant=qa["tenant"], ticket=fresh, data=StatusData(status="resolved", changed_at=timezone.now()))
    client = qa["world"].client_for(qa["manager"])
    response = client.post(url(qa, "qa-build-sample"), {"rubric": qa["rubric"].pk, "days": "365", "per_agent": "0"},
                           follow=True)
    assert "Sample not built. Reviews per agent" in response.content.decode()
    with qa["world"].scope():
        assert not QaReview.objects.exists()
    response = client.post(url(qa, "qa-build-sample"), {"rubric": qa["rubric"].pk, "days": "7", "per_agent": "3"},
                           follow=True)
    assert "1 review queued (1 sampled, 0 low CSAT)" in response.content.decode()
    with qa["world"].scope():
        assert list(QaReview.objects.values_list("ticket__external_id", "agent__name")) == [("B-1", "Bob")]


# ----------------------------------------------------------------------------------------- queue, review


def test_queue_never_shows_the_reviewers_own_tickets(qa):
    with qa["world"].scope():
        ana_review = review_of(qa, worked_ticket(qa["tenant"], "A-1", qa["agents"]["ana"]), qa["agents"]["ana"])
        bob_review = review_of(qa, worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"]), qa["agents"]["bob"])
        taken = review_of(qa, worked_ticket(qa["tenant"], "C-1", qa["agents"]["carl"]), qa["agents"]["carl"],
                          reviewer=qa["members"]["bob"].user)
    ana = qa["world"].client_for(qa["members"]["ana"])
    page = ana.get(url(qa, "qa-queue")).content.decode()
    assert "Build sample" not in page  # agents review; managers build samples
    review_url = lambda r: url(qa, "qa-review-detail", r.pk)  # noqa: E731
    assert review_url(bob_review) in page
    assert review_url(ana_review) not in page and review_url(taken) not in page
    assert ana.get(review_url(ana_review)).status_code == 404  # nobody reviews themself
    assert ana.post(review_url(ana_review), {f"score_{qa['accuracy'].pk}": "5"}).status_code == 404


def test_review_page_shows_the_conversation_and_validates_scores(qa):
    with qa["world"].scope():
        ticket = worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"])
        add(qa["tenant"], ticket, "B-1-ana", direction="outbound", author_type="agent", agent="ana@alpha.test",
            started_at=at(6), body="a colleague's reply")
        review = review_of(qa, ticket, qa["agents"]["bob"])
    client = qa["world"].client_for(qa["members"]["ana"])
    page = client.get(url(qa, "qa-review-detail", review.pk)).content.decode()
    assert "reply on B-1" in page and "a colleague&#x27;s reply" in page
    assert page.count("qa-focus") == 1  # only Bob's public reply is highlighted
    a, t = qa["accuracy"].pk, qa["tone"].pk
    response = client.post(url(qa, "qa-review-detail", review.pk), {f"score_{a}": "5", f"score_{t}": "6"})
    assert response.status_code == 200
    assert "Tone: the score must be between 0 and 5." in response.content.decode()
    with qa["world"].scope():
        review.refresh_from_db()
        assert review.state == QaReview.State.QUEUED
    response = client.post(url(qa, "qa-review-detail", review.pk), {
        f"score_{a}": "5", f"score_{t}": "2", f"comment_{t}": "a bit curt", "comment": "solid"})
    assert response.status_code == 302
    with qa["world"].scope():
        review.refresh_from_db()
        assert review.score == pytest.approx(80.0) and review.reviewer == qa["members"]["ana"].user
    page = client.get(url(qa, "qa-review-detail", review.pk)).content.decode()
    assert "Score 80.0 / 100" in page and "a bit curt" in page


# ------------------------------------------------------------------------------------------ calibration


def test_calibration_pairs_show_the_disagreement_largest_first(qa):
    users = {k: m.user for k, m in qa["members"].items()}
    mia = qa["manager"].user
    with qa["world"].scope():
        t1 = worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"])
        t2 = worked_ticket(qa["tenant"], "B-2", qa["agents"]["bob"])
        first = submit(qa, review_of(qa, t1, qa["agents"]["bob"]), users["ana"], 5, 2)  # 80.0
        second = start_calibration(tenant=qa["tenant"], review=first, reviewer=users["carl"])
        assert second.pk != first.pk and second.reviewer == users["carl"] and second.state == "queued"
        assert start_calibration(tenant=qa["tenant"], review=first, reviewer=users["carl"]).pk == second.pk
        with pytest.raises(QaError):
            start_calibration(tenant=qa["tenant"], review=first, reviewer=users["bob"])  # his own work
        submit(qa, second, users["carl"], 1, 5)  # 100 * (2*0.2 + 1) / 3 = 46.67
        small_a = submit(qa, review_of(qa, t2, qa["agents"]["bob"]), users["ana"], 5, 5)  # 100
        small_b = start_calibration(tenant=qa["tenant"], review=small_a, reviewer=mia)
        submit(qa, small_b, mia, 5, 4)  # 100 * (2 + 0.8) / 3 = 93.33
        pairs = qa_selectors.calibration_pairs(tenant=qa["tenant"])
    assert [(p.first.pk, p.second.pk) for p in pairs] == [(first.pk, second.pk), (small_a.pk, small_b.pk)]
    assert pairs[0].difference == pytest.approx(80 - 140 / 3)
    assert pairs[1].difference == pytest.approx(100 - 280 / 3)
    assert [(c.name, c.first, c.second, c.difference) for c in pairs[0].criteria] == [
        ("Accuracy", 5, 1, 4), ("Tone", 2, 5, 3)]
    page = qa["world"].client_for(qa["manager"]).get(url(qa, "qa-calibration")).content.decode()
    assert "33.3" in page and "6.7" in page and "Tier 1" in page


def test_calibrate_button_creates_the_second_reviewers_own_row(qa):
    with qa["world"].scope():
        first = submit(qa, review_of(qa, worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"]), qa["agents"]["bob"]),
                       qa["members"]["ana"].user, 5, 2)
    carl = qa["world"].client_for(qa["members"]["carl"])
    page = carl.get(url(qa, "qa-review-detail", first.pk)).content.decode()
    assert "Calibrate" in page
    assert "80.0" not in page and "accuracy 5" not in page  # blind until Carl has scored
    response = carl.post(url(qa, "qa-review-calibrate", first.pk))
    assert response.status_code == 302
    with qa["world"].scope():
        mine = QaReview.objects.get(reviewer=qa["members"]["carl"].user)
    assert response["Location"] == url(qa, "qa-review-detail", mine.pk)
    assert (mine.ticket_id, mine.agent_id, mine.state) == (first.ticket_id, first.agent_id, "queued")
    # the submitted review of another reviewer cannot be re-scored
    response = carl.post(url(qa, "qa-review-detail", first.pk), {f"score_{qa['accuracy'].pk}": "1",
                                                                   f"score_{qa['tone'].pk}": "1"})
    assert "already submitted" in response.content.decode()
    with qa["world"].scope():
        submit(qa, mine, qa["members"]["carl"].user, 4, 4)
    page = carl.get(url(qa, "qa-review-detail", first.pk)).content.decode()
    assert "Score 80.0 / 100" in page and "accuracy 5" in page


# ------------------------------------------------------------------------------------ mine and QA score


def test_agent_sees_only_reviews_of_their_own_work(qa):
    users = {k: m.user for k, m in qa["members"].items()}
    with qa["world"].scope():
        submit(qa, review_of(qa, worked_ticket(qa["tenant"], "B-1", qa["agents"]["bob"]), qa["agents"]["bob"]),
               users["ana"], 5, 2, comment="for bob only")
        submit(qa, review_of(qa, worked_ticket(qa["tenant"], "C-1", qa["agents"]["carl"]), qa["agents"]["carl"]),
               users["ana"], 1, 1, comment="for carl only")
        review_of(qa, worked_ticket(qa["tenant"], "B-2", qa["agents"]["bob"]), qa["agents"]["bob"],
                  comment="queued, not shown")
    page = qa["world"].client_for(qa["members"]["bob"]).get(url(qa, "qa-mine")).content.decode()
    assert "for bob only" in page and "accuracy 5" in page and "80.0" in page
    assert "for carl only" not in page and "queued, not shown" not in page
    viewer = qa["world"].client_for(qa["world"].viewer).get(url(qa, "qa-mine"))
    assert viewer.status_code == 200 and "no agent record" in viewer.content.decode()


def test_qa_scores_per_agent_and_team_in_a_period(qa):
    users = {k: m.user for k, m in qa["members"].items()}
    tenant = qa["tenant"]
    with qa["world"].scope():
        r1 = submit(qa, review_of(qa, worked_ticket(tenant, "B-1", qa["agents"]["bob"]), qa["agents"]["bob"]),
                    users["ana"], 5, 2)  # 80
        r2 = submit(qa, review_of(qa, worked_ticket(tenant, "A-1", qa["agents"]["ana"]), qa["agents"]["ana"]),
                    users["bob"], 5, 5)  # 100
        old = submit(qa, review_of(qa, worked_ticket(tenant, "A-2", qa["agents"]["ana"]), qa["agents"]["ana"]),
                     users["bob"], 0, 0)
        QaReview.objects.filter(pk=old.pk).update(submitted_at=r1.submitted_at - dt.timedelta(days=30))
        review_of(qa, worked_ticket(tenant, "B-2", qa["agents"]["bob"]), qa["agents"]["bob"])  # queued: ignored
        start, end = r1.submitted_at - dt.timedelta(days=1), max(r1.submitted_at, r2.submitted_at) + dt.timedelta(1)
        by_agent = {r["agent"]: r for r in qa_selectors.qa_scores(tenant=tenant, date_from_utc=start,
                                                                  date_to_utc=end, group_by="agent")}
        by_team = {r["team"]: r for r in qa_selectors.qa_scores(tenant=tenant, date_from_utc=start,
                                                                date_to_utc=end, group_by="team")}
        total = qa_selectors.qa_scores(tenant=tenant, date_from_utc=start, date_to_utc=end, group_by="none")
        empty = qa_selectors.qa_scores(tenant=tenant, date_from_utc=end, date_to_utc=end + dt.timedelta(1),
                                       group_by="none")
    assert by_agent["Bob"]["qa_score"] == pytest.approx(80.0) and by_agent["Bob"]["qa_reviews"] == 1
    assert by_agent["Ana"]["qa_score"] == pytest.approx(100.0)
    assert by_agent["Carl"]["qa_score"] is None and by_agent["Carl"]["qa_reviews"] == 0
    assert by_team["Tier 1"]["qa_score"] == pytest.approx(90.0) and by_team["Tier 2"]["qa_score"] is None
    assert total[0]["qa_score"] == pytest.approx(90.0) and total[0]["qa_reviews"] == 2
    assert empty[0]["qa_score"] is None


# -------------------------------------------------------------------------------------------- queries


def _grow(qa, n, offset):
    """n more tickets of Bob, each with a submitted review and a calibration pair, plus a queued one."""
    users = {k: m.user for k, m in qa["members"].items()}
    with qa["world"].scope():
        for i in range(offset, offset + n):
            ticket = worked_ticket(qa["tenant"], f"G-{i}", qa["agents"]["bob"])
            add(qa["tenant"], ticket, f"G-{i}-more", direction="outbound", author_type="agent",
                agent="bob@alpha.test", started_at=at(9))
            first = submit(qa, review_of(qa, ticket, qa["agents"]["bob"]), users["ana"], i % 6, 3)
            submit(qa, start_calibration(tenant=qa["tenant"], review=first, reviewer=users["carl"]), users["carl"],
                   5, i % 6)
            review_of(qa, worked_ticket(qa["tenant"], f"Q-{i}", qa["agents"]["carl"]), qa["agents"]["carl"])
            Team.objects.create(tenant=qa["tenant"], name=f"Team {i}")
        return first


@pytest.mark.parametrize("page", ["qa-queue", "qa-calibration", "qa-review-detail", "qa-mine"])
def test_query_count_is_constant_as_rows_grow(qa, page):
    client_of = {"qa-mine": qa["members"]["bob"], "qa-queue": qa["members"]["ana"]}
    client = qa["world"].client_for(client_of.get(page, qa["manager"]))
    counts = []
    for n, offset in ((1, 0), (4, 1)):
        last = _grow(qa, n, offset)
        target = url(qa, page, last.pk) if page == "qa-review-detail" else url(qa, page)
        with count_queries() as ctx:
            response = client.get(target)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
