"""One object of every kind that a URL kwarg names, for a tenant: the isolation suite builds them in
tenant B (and tries them from A), the form fuzz in tenant A (and posts to them).

A new kind of URL kwarg fails ``tests/isolation``'s ``test_every_object_kwarg_is_known`` until it is added
to ``OBJECT_KWARGS``, so no URL escapes either suite.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import AccountNote, Job, Role
from health.usage.models import CatalogEntry
from support.models import Callback, Macro, Ticket
from tests.conftest import TenantWorld
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, UserFactory

# kwarg name -> how to find the object of that kind in what ``one_of_each`` answers
OBJECT_KWARGS: dict[str, Callable[[dict], object]] = {
    "account_pk": lambda o: o["account"].pk,
    "note_pk": lambda o: o["note"].pk,  # CSM notes and logged touches (issue 11)
    "contact_pk": lambda o: o["contact"].pk,
    "job_pk": lambda o: o["job"].pk,
    "apikey_pk": lambda o: o["api_key"].pk,
    "membership_pk": lambda o: o["membership"].pk,
    "account_external_id": lambda o: o["account"].external_id,
    "contact_external_id": lambda o: o["contact"].external_id,
    "catalogentry_pk": lambda o: o["catalog_entry"].pk,
    "alertrule_pk": lambda o: o["alert_rule"].pk,  # health alerts (issue 14)
    "playbook_pk": lambda o: o["playbook"].pk,
    "playbookstep_pk": lambda o: o["playbook_step"].pk,
    "ticket_external_id": lambda o: o["ticket"].external_id,
    "ticket_pk": lambda o: o["ticket"].pk,
    "macro_pk": lambda o: o["macro"].pk,
    "callback_pk": lambda o: o["callback"].pk,
    # Knowledge base and SLA (issue 4).
    "article_pk": lambda o: o["article"].pk,
    "articlecategory_pk": lambda o: o["article_category"].pk,
    "slapolicy_pk": lambda o: o["sla_policy"].pk,
    "businesscalendar_pk": lambda o: o["business_calendar"].pk,
    "holiday_pk": lambda o: o["holiday"].pk,
    # QA peer reviews (issue 5).
    "qarubric_pk": lambda o: o["qa_rubric"].pk,
    "qareview_pk": lambda o: o["qa_review"].pk,
    # Support teams (issue 5: which managers see which team in the reports).
    "team_pk": lambda o: o["team"].pk,
    # Surveys (issue 12).
    "survey_pk": lambda o: o["survey"].pk,
    # The public survey page (/s/<token>/): the token names its invitation and tenant; see
    # test_public_survey_link_reaches_only_its_own_tenant.
    "token": lambda o: o["survey_token"],
    "campaign_pk": lambda o: o["campaign"].pk,
    # CSM tasks (issue 12's closed loop): B's survey response of score 2 opened one (tests/objectworld._surveys).
    "task_pk": lambda o: o["task"].pk,
    # The public survey logo (/survey-logos/<logo_tenant_slug>/<surveylogo_pk>-<logo_key>):
    # test_public_image_never_serves_another_image.
    "logo_tenant_slug": lambda o: o["tenant"].slug,
    "surveylogo_pk": lambda o: o["survey_logo"].pk,
    "logo_key": lambda o: o["survey_logo"].key,
    # Learning paths (issue 13): a path, its published version, a step of its draft, a lesson image, and the
    # public image file (/lesson-images/<image_tenant_slug>/<lessonimage_pk>-<image_key>):
    # test_public_image_never_serves_another_image.
    "learningpath_pk": lambda o: o["learning_path"].pk,
    "pathversion_pk": lambda o: o["path_version"].pk,
    "step_pk": lambda o: o["draft_step"].pk,
    "image_tenant_slug": lambda o: o["tenant"].slug,
    "lessonimage_pk": lambda o: o["lesson_image"].pk,
    "image_key": lambda o: o["lesson_image"].key,
    # The public help center (/help/<help_slug>/): test_public_help_center_never_serves_other_tenants_objects.
    "help_slug": lambda o: o["tenant"].slug,
    "category_slug": lambda o: o["article_category"].slug,
    "article_slug": lambda o: o["article"].slug,
    # The learner portal (issue 13): /learn/paths/<enrollment_pk>/steps/<step_key>/ and its certificate, through
    # the learner's session (test_learner_portal_reaches_only_the_learners_own_objects); the magic link's token,
    # the public certificate's code and the sign-in page's tenant (public, each names its tenant).
    "enrollment_pk": lambda o: o["enrollment"].pk,
    "step_key": lambda o: o["learning_step"].key,
    "certificate_code": lambda o: o["completed_enrollment"].certificate_code,
    "link_token": lambda o: o["learner_link_token"],
    "learner_tenant_slug": lambda o: o["tenant"].slug,
    # Health scorecards (issue 14): B's own scorecard, its name carrying the marker.
    "scorecard_pk": lambda o: o["scorecard"].pk,
}


def one_of_each(b: TenantWorld, marker: str) -> dict:
    """One object of every kind that a URL takes, in ``b``'s tenant, each carrying ``marker``."""
    with b.scope():
        account = AccountFactory(tenant=b.tenant, external_id=f"{marker}-acc", name=f"{marker} account")
        contact = ContactFactory(tenant=b.tenant, account=account, external_id=f"{marker}-contact",
                                 name=f"{marker} person", email=f"{marker}@{b.tenant.slug}.example.com")
        job = Job.objects.create(tenant=b.tenant, kind="import_accounts", total=1,
                                 result={"note": marker})
        note = AccountNote.objects.create(tenant=b.tenant, account=account, kind="call", subject=f"{marker} call",
                                          body=f"{marker} body", happened_at=job.created_at)
        # An admin, so that a wrongly reached role change or removal would succeed, not be refused.
        membership = MembershipFactory(tenant=b.tenant, role=Role.ADMIN,
                                       user=UserFactory(username=f"{marker}@{b.tenant.slug}.test", first_name=marker))
        catalog_entry = CatalogEntry.objects.create(tenant=b.tenant, event_name=f"{marker}.event",
                                                    feature=f"{marker} feature")
        ticket = Ticket.objects.create(tenant=b.tenant, external_id=f"{marker}-ticket", contact=contact,
                                       account=account, channel="email", subject=f"{marker} ticket",
                                       created_at=job.created_at)
        macro = Macro.objects.create(tenant=b.tenant, name=f"{marker} macro", body=f"{marker} body")
        callback = Callback.objects.create(tenant=b.tenant, external_id=f"{marker}-callback", contact=contact,
                                           ticket=ticket, phone="+15550001", requested_at=job.created_at,
                                           due_at=job.created_at, note=marker)
    kb = _knowledge_and_sla(b, marker) | _qa(b, ticket, marker) | _surveys(b, contact, ticket, marker)
    kb |= (_learning_authoring(b, contact, kb["article"], marker) | _learning_portal(b, contact, marker)
           | _learning_api(b, contact, marker) | _scorecard(b, marker) | _health_alerts(b, marker))
    return kb | {"account": account, "note": note, "contact": contact, "job": job, "api_key": b.api_key,
            "membership": membership, "catalog_entry": catalog_entry, "ticket": ticket, "macro": macro,
            "callback": callback}


def _scorecard(b, marker) -> dict:
    """A scorecard of B for B's marker tier: a leaking list, detail or edit page would show its name."""
    from health.scores.definitions import default_definition
    from health.scores.services import ScorecardData, save_scorecard

    with b.scope():
        card = save_scorecard(tenant=b.tenant, scorecard=None, by=None, data=ScorecardData(
            name=f"{marker} scorecard", definition=default_definition(), tiers=[f"{marker}-tier"]))
    return {"scorecard": card}


def _health_alerts(b, marker) -> dict:
    """A rule (one of the defaults) that names a playbook with one step (issue 14)."""
    from health.alerts.models import AlertRule
    from health.alerts.services import PlaybookData, StepData, add_step, ensure_default_rules, save_playbook

    with b.scope():
        playbook = save_playbook(tenant=b.tenant, playbook=None, data=PlaybookData(name=f"{marker} playbook"))
        step = add_step(tenant=b.tenant, playbook=playbook, data=StepData(title=f"{marker} step"))
        ensure_default_rules(tenant=b.tenant)
        rule = AlertRule.objects.filter(tenant=b.tenant).order_by("pk").first()
        AlertRule.objects.filter(pk=rule.pk).update(playbook=playbook)
    return {"alert_rule": rule, "playbook": playbook, "playbook_step": step}


def _learning_api(b, contact, marker) -> dict:
    """A published path with a product task, the contact enrolled and one step completed by an external LMS
    (evidence carrying the marker's score path): a leaking enrollments list or completion would show them."""
    from learning.external.services import record_completions
    from learning.paths.services import PathData, StepData, publish, save_path, save_steps
    from learning.services import enroll

    with b.scope():
        path = save_path(tenant=b.tenant, path=None, data=PathData(name=f"{marker} API path",
                                                                   slug=f"{marker}-api-path"))
        save_steps(tenant=b.tenant, path=path, steps=[
            StepData(kind="lesson", title=f"{marker} lesson", key=f"{marker}-lesson"),
            StepData(kind="product_task", title=f"{marker} task", event_name=f"{marker}.event")])
        publish(tenant=b.tenant, path=path, by=None)
        enroll(tenant=b.tenant, contact_ids=[contact.pk])
        result = record_completions(tenant=b.tenant, items=[{
            "contact": contact.external_id, "path": path.slug, "step": f"{marker}-lesson",
            "completed_at": "2026-01-15T12:00:00+00:00"}])
        assert result.accepted == 1, result.as_dict()
    return {"api_path": path}


def _knowledge_and_sla(b, marker) -> dict:
    from support.knowledge.services import save_article
    from support.models import Article, ArticleCategory, BusinessCalendar, Holiday, SlaPolicy

    with b.scope():
        category = ArticleCategory.objects.create(tenant=b.tenant, name=f"{marker} category", slug=f"{marker}-cat")
        article = save_article(tenant=b.tenant, article=Article(
            tenant=b.tenant, category=category, title=f"{marker} article", slug=f"{marker}-article",
            body_markdown=marker, is_published=True))
        calendar = BusinessCalendar.objects.create(tenant=b.tenant, name=f"{marker} calendar",
                                                   weekly_hours={"0": [["09:00", "17:00"]]})
        holiday = Holiday.objects.create(tenant=b.tenant, calendar=calendar, date="2026-12-25", name=marker)
        policy = SlaPolicy.objects.create(tenant=b.tenant, name=f"{marker} policy", first_response_seconds=60,
                                          calendar=calendar)
    return {"tenant": b.tenant, "article": article, "article_category": category, "business_calendar": calendar,
            "holiday": holiday, "sla_policy": policy}


def _qa(b, ticket, marker) -> dict:
    from support.models import Agent, QaCriterion, QaReview, QaRubric, Team, TeamManager

    with b.scope():
        # A team with an agent and a manager: a wrongly reached edit or delete would change all three.
        team = Team.objects.create(tenant=b.tenant, name=f"{marker} team")
        agent = Agent.objects.create(tenant=b.tenant, email=f"{marker}-agent@{b.tenant.slug}.test",
                                     name=f"{marker} agent", team=team)
        manager = MembershipFactory(tenant=b.tenant, role=Role.MANAGER,
                                    user=UserFactory(username=f"{marker}-manager@{b.tenant.slug}.test"))
        TeamManager.objects.create(tenant=b.tenant, team=team, user=manager.user)
        rubric = QaRubric.objects.create(tenant=b.tenant, name=f"{marker} rubric")
        QaCriterion.objects.create(tenant=b.tenant, rubric=rubric, name=f"{marker} criterion")
        review = QaReview.objects.create(tenant=b.tenant, ticket=ticket, agent=agent, rubric=rubric, comment=marker)
    return {"qa_rubric": rubric, "qa_review": review, "team": team}


def _surveys(b, contact, ticket, marker) -> dict:
    from surveys.services import SurveyData, TextData, record_responses, save_survey
    from tests.surveys.public.factory import make_link

    with b.scope():
        survey = save_survey(tenant=b.tenant, survey=None, data=SurveyData(
            kind="csat", name=f"{marker} survey", is_default=True,
            texts=[TextData(language="en", question=f"{marker} question")]))
        result = record_responses(tenant=b.tenant, items=[{
            "survey": str(survey.pk), "contact": contact.external_id, "ticket": ticket.external_id, "score": 2,
            "comment": f"{marker} comment", "external_id": f"{marker}-response"}])
        assert result.accepted == 1, result.as_dict()
        # A running campaign with a scheduled invitation: a wrongly reached pause would suppress it.
        from surveys.triggers.campaigns import CampaignData, run_campaigns, save_campaign, start_campaign

        campaign = save_campaign(tenant=b.tenant, campaign=None, by=None, data=CampaignData(
            survey=survey, name=f"{marker} campaign", segment={}, window_days=1, repeat_months=3))
        start_campaign(tenant=b.tenant, campaign=campaign, by=None, now=campaign.created_at)
        run_campaigns(tenant=b.tenant, now=campaign.created_at)
    _sending(b, contact, survey, marker)
    link = make_link(b, survey=survey, contact=contact, ticket=ticket)
    from surveys.loop.services import sweep_follow_ups

    # The response hook waits for a commit that the test's transaction never makes: the sweep opens the task.
    [response_id] = sweep_follow_ups(tenant=b.tenant)
    from accounts.models import CsmTask

    with b.scope():
        task = CsmTask.objects.get(source_id=response_id)
        from surveys.branding.services import set_logo
        from tests.surveys.images import png

        logo = set_logo(tenant=b.tenant, survey=survey, data=png(4, 4, text=marker), by=None)
    return {"survey": survey, "campaign": campaign, "survey_invitation": link.invitation, "survey_token": link.token,
            "task": task, "survey_logo": logo}


def _sending(b, contact, survey, marker) -> None:
    """An invitation sent (its email pending in the outbox) and one suppressed: the sending pages list them."""
    from django.utils import timezone

    from surveys.models import Invitation, OutboxMessage

    now = timezone.now()
    with b.scope():
        sent = Invitation.objects.create(tenant=b.tenant, survey=survey, contact=contact, account=contact.account,
                                         trigger="api", status="sent", send_after=now, sent_at=now,
                                         token_hash="0" * 64, expires_at=now)
        Invitation.objects.create(tenant=b.tenant, survey=survey, contact=contact, account=contact.account,
                                  trigger="api", status="suppressed", suppressed_reason="opted_out",
                                  suppressed_at=now, send_after=now)
        OutboxMessage.objects.create(tenant=b.tenant, invitation=sent, to_email=contact.email,
                                     subject=f"{marker} subject", body_text=marker, message_id=f"<{marker}@x>",
                                     next_attempt_at=now, last_error=f"{marker} error")


def _learning_authoring(b, contact, article, marker) -> dict:
    """A published path (v1) with a learner on it who did its first step, then v2 published, and a draft
    of a step of each kind: a wrongly reached migrate would move the learner, an edit, move or delete would
    rewrite the draft, a publish would add v3, an unpublish would flip the path."""
    from django.utils import timezone

    from learning.models import Enrollment, Step, StepProgress
    from learning.paths.services import PathData, StepData, add_lesson_image, publish, save_path, save_steps
    from learning.services import enroll
    from tests.surveys.images import png

    with b.scope():
        path = save_path(tenant=b.tenant, path=None, data=PathData(name=f"{marker} path",
                                                                   description=f"{marker} description"))
        image = add_lesson_image(tenant=b.tenant, path=path, data=png(4, 4, text=marker), by=None)
        steps = [StepData(kind="lesson", title=f"{marker} lesson", body_markdown=f"{marker} body"),
                 StepData(kind="quiz", title=f"{marker} quiz", quiz={"questions": [{"text": f"{marker}?", "choices": [
                     {"text": f"{marker} yes", "correct": True}, {"text": "no"}]}]}),
                 StepData(kind="article", title=f"{marker} article step", article=article),
                 StepData(kind="product_task", title=f"{marker} task", event_name=f"{marker}.done")]
        save_steps(tenant=b.tenant, path=path, steps=steps)
        version = publish(tenant=b.tenant, path=path, by=None)
        enroll(tenant=b.tenant, contact_ids=[contact.pk])
        enrollment = Enrollment.objects.get(contact=contact, path=path)
        StepProgress.objects.create(tenant=b.tenant, enrollment=enrollment, done_at=timezone.now(),
                                    step=Step.objects.get(version=version, position=1))
        publish(tenant=b.tenant, path=path, by=None)
        draft_step = Step.objects.get(version__path=path, version__number__isnull=True, position=2)
    return {"learning_path": path, "path_version": version, "draft_step": draft_step, "lesson_image": image}


def _learning_portal(b, contact, marker) -> dict:
    """Two paths for ``contact``: one in progress (a lesson done, a quiz attempted), one completed (so it has a
    certificate); a magic link and a learner session. Step keys carry the marker: a key of B's is no key of A's."""
    import datetime as dt

    from learning.links import issue_link
    from learning.models import Enrollment, LearnerSession, LinkPurpose, Step
    from learning.paths.services import StepData
    from learning.progress import complete_step, submit_quiz
    from learning.services import enroll
    from surveys.tokens import new_token
    from tests.learning.helpers import published_path
    from tests.learning.portal_helpers import QUIZ

    def steps(prefix: str) -> list[StepData]:
        return [StepData(kind="lesson", title=f"{marker} lesson", key=f"{prefix}-lesson",
                         body_markdown=f"{marker} lesson body"),
                StepData(kind="quiz", title=f"{marker} quiz", key=f"{prefix}-quiz", quiz=QUIZ),
                StepData(kind="product_task", title=f"{marker} task", key=f"{prefix}-task",
                         event_name=f"{marker}.done")]

    with b.scope():
        going = published_path(b.tenant, f"{marker} path", steps=steps(marker))
        done = published_path(b.tenant, f"{marker} finished path", steps=steps(f"{marker}-done"))
        enroll(tenant=b.tenant, contact_ids=[contact.pk])
        enrollment = Enrollment.objects.get(contact=contact, path=going)
        lesson = Step.objects.get(version=enrollment.version, key=f"{marker}-lesson")
        complete_step(tenant=b.tenant, enrollment=enrollment, step=lesson, evidence={"kind": "lesson"})
        submit_quiz(tenant=b.tenant, enrollment=enrollment, answers=[[1], [0]],
                    step=Step.objects.get(version=enrollment.version, key=f"{marker}-quiz"))
        completed = Enrollment.objects.get(contact=contact, path=done)
        for step in Step.objects.filter(version=completed.version):
            complete_step(tenant=b.tenant, enrollment=completed, step=step, evidence={"kind": marker})
        completed.refresh_from_db()
        token = issue_link(tenant=b.tenant, contact=contact, purpose=LinkPurpose.INVITATION)
        now = completed.completed_at
        LearnerSession.objects.create(tenant=b.tenant, contact=contact, token_hash=new_token()[1], created_at=now,
                                      last_seen_at=now, expires_at=now + dt.timedelta(days=30))
    return {"enrollment": enrollment, "learning_step": lesson, "completed_enrollment": completed,
            "learner_link_token": token, "portal_path": going}
