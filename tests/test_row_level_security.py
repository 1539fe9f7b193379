"""Row-level security (DESIGN.md tenancy rule 8): PostgreSQL itself keeps the tenants apart.

Every tenant-owned relation (each table with a ``tenant_id`` column, the events' partitions and the rollup
view included) is tried with raw SQL that carries no tenant filter: under tenant A's scope it shows none
of B's rows, and it can neither insert a row of B, nor move a row of A to B, nor touch a row of B. Both
demo tenants are seeded (look-alike data in every table), and a table that holds no row of B fails the
test rather than passing it vacuously.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts import demo_data
from accounts.models import CustomerAccount, Tenant
from accounts.tenancy import all_tenants, tenant_scope
from cs_platform.db import rls
from cs_platform.parallel_reads import run_reads
from cs_platform.tenant_context import database_scope
from tests.factories import MembershipFactory, UserFactory, make_api_key

SEED = ("seed_demo", "--accounts", "6", "--contacts-per-account", "2", "--events-per-tenant", "400",
        "--tickets-per-tenant", "25", "--today", dt.date.today().isoformat())

RLS_VIOLATION = "42501"  # insufficient_privilege: "new row violates row-level security policy"


def tenant_relations() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        # The migration operation's own discovery; tests/architecture checks it with a query of its own.
        cursor.execute(rls.TENANT_RELATIONS)
        return cursor.fetchall()


def copyable_columns(relation: str) -> list[str]:
    """Columns a copied row can carry (not identities or generated ones, which take their defaults)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                       "AND NOT attisdropped AND attidentity = '' AND attgenerated = '' ORDER BY attnum",
                       [relation])
        return [row[0] for row in cursor.fetchall()]


def count(relation: str, where: str = "true", params: tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {relation} WHERE {where}", params)  # noqa: S608 (our catalogue's names)
        return cursor.fetchone()[0]


def sqlstate_of(statement: str, params: tuple = ()) -> str | None:
    """Run one statement in a savepoint; answers the SQLSTATE it failed with, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as exc:
        return getattr(exc.__cause__, "sqlstate", None) or "?"
    return None


def rows_the_seed_does_not_write(tenant: Tenant) -> None:
    """One row in each table the demo seed leaves empty (their rows come from flows it does not run)."""
    import uuid

    from django.utils import timezone

    from accounts.models import AccountNote, Contact, Job
    from health.usage.models import UsagePending
    from support.models import (
        Agent,
        Article,
        ArticleCategory,
        ArticleSuggestion,
        BusinessCalendar,
        ContactIdentity,
        ContactMerge,
        Holiday,
        QaCriterion,
        QaReview,
        QaRubric,
        QaScore,
        SlaEvent,
        SupportCost,
        Team,
        TeamManager,
        Ticket,
    )
    from surveys.models import Survey, SurveyResponse, SurveyText

    now = timezone.now()
    make_api_key(tenant, raw=f"csk_rls_{tenant.slug}")
    with tenant_scope(tenant):
        ticket, contact, agent = Ticket.objects.first(), Contact.objects.first(), Agent.objects.first()
        Job.objects.create(kind="import_accounts", total=1)
        AccountNote.objects.create(account=contact.account, kind="call", body="Check-in", happened_at=now)
        ContactIdentity.objects.create(contact=contact, kind="phone", value=f"+1555{tenant.pk:07d}", created_at=now)
        calendar = BusinessCalendar.objects.first() or BusinessCalendar.objects.create(name="Hours", weekly_hours={})
        Holiday.objects.create(calendar=calendar, date=dt.date(2026, 12, 25), name="Christmas")
        SlaEvent.objects.create(ticket=ticket, kind="breached", clock="first_response", due_at=now, created_at=now)
        team = Team.objects.create(name="Tier 1")
        TeamManager.objects.create(team=team, user=UserFactory())
        SupportCost.objects.create(month=dt.date(2026, 11, 1), team=team, amount=100, note="tools", created_at=now)
        category = ArticleCategory.objects.first() or ArticleCategory.objects.create(name="Docs", slug="docs")
        article = Article.objects.first() or Article.objects.create(category=category, title="T", slug="t",
                                                                    body_markdown="t")
        ArticleSuggestion.objects.create(ticket=ticket, article=article, rank=1.0, created_at=now)
        ContactMerge.objects.create(kept_contact=contact, merged_external_id="merged-1", merged_at=now)
        rubric = QaRubric.objects.create(name="Rubric")
        criterion = QaCriterion.objects.create(rubric=rubric, name="Tone")
        review = QaReview.objects.create(ticket=ticket, agent=agent, rubric=rubric)
        QaScore.objects.create(review=review, criterion=criterion, score=3)
        survey = Survey.objects.create(kind="nps", name="NPS")
        SurveyText.objects.create(survey=survey, language="en", question="Recommend us?")
        SurveyResponse.objects.create(survey=survey, contact=contact, account=contact.account, score=9,
                                      submitted_at=now)
        # The closed loop's task (with its history row) and a survey logo (issue 12).
        from accounts.worklist.services import create_task
        from surveys.branding.services import set_logo
        from tests.surveys.images import png

        create_task(tenant=tenant, account=contact.account, title="Follow up", due_on=now.date(), by=None)
        set_logo(tenant=tenant, survey=survey, data=png(2, 2), by=None)
        # Sending (issue 12 step 2): a policy, an opt-out, a skipped ticket, a campaign with an invitation and
        # its outbox message.
        from surveys.models import Campaign, Invitation, OptOut, OutboxMessage, SkippedTicket, SurveyPolicy

        SurveyPolicy.objects.create()
        OptOut.objects.create(contact=contact, source="api")
        SkippedTicket.objects.create(ticket=ticket)
        campaign = Campaign.objects.create(survey=survey, name="Relationship NPS")
        invitation = Invitation.objects.create(survey=survey, contact=contact, account=contact.account,
                                               campaign=campaign, trigger="campaign", send_after=now)
        OutboxMessage.objects.create(invitation=invitation, to_email="a@example.com", subject="NPS",
                                     message_id=f"<rls-{tenant.slug}@example.com>", next_attempt_at=now)
        # Learning paths (issue 13 step 1): a published path with targeting, a prerequisite, an enrollment
        # and its progress on a step.
        from learning.models import Enrollment, StepProgress
        from learning.paths.services import PathData, StepData, publish, save_path, save_steps

        basics = save_path(tenant=tenant, path=None, data=PathData(name="Basics", targeting={"personas": ["admin"]}))
        path = save_path(tenant=tenant, path=None, data=PathData(name="Admin", prerequisites=[basics]))
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="lesson", title="Welcome")])
        version = publish(tenant=tenant, path=path, by=None)
        enrollment = Enrollment.objects.create(contact=contact, path=path, version=version, enrolled_at=now)
        StepProgress.objects.create(enrollment=enrollment, step=version.steps.first(), done_at=now)
        # Issue 13's portal rows: a quiz attempt, a magic link, a learner session, a lesson image.
        from learning.models import LearnerLink, LearnerSession, LessonImage, QuizAttempt

        QuizAttempt.objects.create(enrollment=enrollment, step=version.steps.first(), answers=[[0]], score=100,
                                   passed=True, created_at=now)
        later = now + dt.timedelta(days=1)
        LearnerLink.objects.create(contact=contact, token_hash=f"link-{tenant.slug}", purpose="sign_in",
                                   created_at=now, expires_at=later)
        LearnerSession.objects.create(contact=contact, token_hash=f"session-{tenant.slug}", created_at=now,
                                      expires_at=later, last_seen_at=now)
        LessonImage.objects.create(path=path, content_type="image/png", data=png(2, 2), size=10, width=2, height=2,
                                   digest="0" * 64, key=f"key-{tenant.slug}", uploaded_at=now)
        # Health scores (issue 14, step 1): the default scorecard, its version and a score.
        from health.scores.models import HealthScore
        from health.scores.services import ensure_default_scorecard

        HealthScore.objects.create(account=contact.account, day=now.date(), score=50, band="yellow", confidence=1,
                                   version=ensure_default_scorecard(tenant=tenant).current_version, computed_at=now)
        # Health scores, step 4: an override, a dirty mark, a rule with its alert, a playbook run with its step,
        # a task comment and a subscription period.
        from accounts.models import CsmTask, CsmTaskComment, SubscriptionPeriod
        from health.alerts.models import AlertRule, HealthAlert, Playbook, PlaybookRun, PlaybookRunStep, PlaybookStep
        from health.scores.models import HealthOverride, RecomputeDirty

        account = contact.account
        HealthOverride.objects.create(account=account, score=80, reason="Exec sponsor confirmed", created_at=now,
                                      expires_at=later)
        RecomputeDirty.objects.get_or_create(account=account, defaults={"marked_at": now})  # the seed may mark it
        playbook = Playbook.objects.create(name="Save the account")
        PlaybookStep.objects.create(playbook=playbook, position=1, title="Call the sponsor")
        rule = AlertRule.objects.create(kind="turns_red", name="Turns red", playbook=playbook)
        alert = HealthAlert.objects.create(rule=rule, kind="turns_red", account=account, cause_key="red:1",
                                           day=now.date(), title="Turned red", raised_at=now)
        run = PlaybookRun.objects.create(playbook=playbook, account=account, alert=alert, started_at=now)
        PlaybookRunStep.objects.create(run=run, position=1, title="Call the sponsor", due_on=now.date())
        CsmTaskComment.objects.create(task=CsmTask.objects.first(), body="Left a voicemail", at=now)
        SubscriptionPeriod.objects.create(account=account, external_id="sub-1", starts_at=now, ends_at=later,
                                          arr=12000, seats=10)
        # Issue 13's learning emails: the tenant's policy.
        from learning.emails.services import policy_for as learning_policy_for

        learning_policy_for(tenant=tenant)
        UsagePending.objects.create(batch_id=uuid.uuid4(), created_at=now, events=0, account_ids=[], contact_ids=[],
                                    days=[], event_names=[], counts=[], seen_contact_ids=[], seen_first=[],
                                    seen_last=[])


@pytest.fixture
def demo_tenants(db) -> tuple[Tenant, Tenant]:
    call_command(*SEED, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
    a, b = (Tenant.objects.get(slug=spec.slug) for spec in demo_data.DEMO_TENANTS)
    for tenant in (a, b):
        rows_the_seed_does_not_write(tenant)
    return a, b


def test_every_tenant_owned_relation_hides_and_refuses_the_other_tenants_rows(demo_tenants):
    a, b = demo_tenants
    relations = tenant_relations()
    assert len(relations) > 30  # the catalogue query found the tables at all
    problems: list[str] = []
    vacuous: list[str] = []
    for relation, kind in relations:
        with all_tenants("test: what each tenant holds"):
            rows_of_a = count(relation, "tenant_id = %s", (a.pk,))
            rows_of_b = count(relation, "tenant_id = %s", (b.pk,))
        if rows_of_b == 0 or rows_of_a == 0:
            vacuous.append(relation)
            continue
        with tenant_scope(a):
            seen = count(relation)
            seen_of_b = count(relation, "tenant_id = %s", (b.pk,))
        if seen != rows_of_a or seen_of_b:
            problems.append(f"{relation}: A's scope sees {seen} rows ({seen_of_b} of B), A has {rows_of_a}")
        if kind == "v":
            continue  # the view is read-only; its tables are checked for writes
        columns = copyable_columns(relation)
        copied = ", ".join("%s" if c == "tenant_id" else f'"{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        with tenant_scope(a):
            insert = sqlstate_of(f"INSERT INTO {relation} ({names}) SELECT {copied} FROM {relation} LIMIT 1",  # noqa: S608
                                 (b.pk,))
            move = sqlstate_of(f"UPDATE {relation} SET tenant_id = %s", (b.pk,))  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {relation} SET tenant_id = tenant_id WHERE tenant_id = %s", [b.pk])  # noqa: S608
                touched = cursor.rowcount
                cursor.execute(f"DELETE FROM {relation} WHERE tenant_id = %s", [b.pk])  # noqa: S608
                deleted = cursor.rowcount
        if insert != RLS_VIOLATION:
            problems.append(f"{relation}: inserting a row of B under A's scope gave {insert!r}")
        if move != RLS_VIOLATION:
            problems.append(f"{relation}: moving A's rows to B gave {move!r}")
        if touched or deleted:
            problems.append(f"{relation}: A's scope updated {touched} and deleted {deleted} rows of B")
    with all_tenants("test: nothing of B was lost"):
        assert CustomerAccount.objects.unscoped().filter(tenant=b).count() > 0
    assert not problems, "\n".join(problems)
    # Future months' partitions are empty for every tenant; the current month's is checked.
    untested = [r for r in vacuous if not r.startswith("health_usage_event_p")]
    assert not untested, f"no rows of both tenants to test with (add them to rows_the_seed_does_not_write): {untested}"


def test_the_partitions_and_the_view_are_among_the_protected(demo_tenants):
    names = {relation for relation, _ in tenant_relations()}
    assert "health_usage_event" in names and "health_usage_rollups" in names
    assert any(name.startswith("health_usage_event_p") for name in names)


def test_outside_any_scope_raw_sql_sees_and_writes_nothing(worlds):
    a, _ = worlds
    assert database_scope() == ("", "")
    assert count("accounts_customeraccount") == 0
    assert count("accounts_contact") == 0
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        CustomerAccount(tenant=a.tenant, external_id="outside", name="Outside").save()
    assert refused.value.__cause__.sqlstate == RLS_VIOLATION


def test_a_scope_changed_inside_a_transaction_is_followed(worlds):
    a, b = worlds
    with transaction.atomic():
        with tenant_scope(a.tenant):
            assert count("accounts_customeraccount", "tenant_id = %s", (a.tenant.pk,)) == 3
        with tenant_scope(b.tenant):
            assert count("accounts_customeraccount", "tenant_id = %s", (a.tenant.pk,)) == 0
            assert count("accounts_customeraccount") == 3
        assert count("accounts_customeraccount") == 0


def test_a_savepoint_rolled_back_does_not_leave_the_outer_scopes_setting(worlds):
    """ROLLBACK TO SAVEPOINT undoes a set_config made after the savepoint; the backend must set B again."""
    a, b = worlds
    with transaction.atomic(), tenant_scope(a.tenant):
        assert count("accounts_customeraccount") == 3  # A's setting, set in the outer transaction
        with tenant_scope(b.tenant):
            with pytest.raises(RuntimeError), transaction.atomic():
                assert count("accounts_customeraccount", "tenant_id = %s", (b.tenant.pk,)) == 3
                raise RuntimeError("roll the savepoint back")
            assert count("accounts_customeraccount", "tenant_id = %s", (b.tenant.pk,)) == 3
            assert count("accounts_customeraccount", "tenant_id = %s", (a.tenant.pk,)) == 0


@pytest.mark.django_db(transaction=True)
def test_a_connection_reused_after_a_request_of_a_sees_nothing():
    """Autocommit, as in production: the request's settings lived in its statements' transactions only."""
    tenant = Tenant.objects.create(slug="reuse-a", name="Reuse A")
    with tenant_scope(tenant):
        CustomerAccount.objects.create(external_id="acc-1", name="Acme")
        member = MembershipFactory(tenant=tenant, user=UserFactory(username="reuse@a.test"), role="admin")
    client = Client()
    client.force_login(member.user)
    assert client.get(f"/t/{tenant.slug}/accounts/").status_code == 200
    connection_before = connection.connection
    assert connection_before is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('app.tenant_id', true), ''), "
                       "coalesce(current_setting('app.all_tenants', true), '')")
        assert cursor.fetchone() == ("", "")
    assert count("accounts_customeraccount") == 0
    assert connection.connection is connection_before  # the same connection, reused
    with tenant_scope(tenant):
        assert count("accounts_customeraccount") == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_in_a_scope_leaves_the_connection_usable():
    tenant = Tenant.objects.create(slug="fail-a", name="Fail A")
    with tenant_scope(tenant), pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0 FROM accounts_customeraccount UNION ALL SELECT 1 / 0")
    assert connection.get_autocommit() and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
def test_parallel_reads_see_only_the_callers_tenant(settings):
    settings.READ_THREADS = 2
    one, two = Tenant.objects.create(slug="par-a", name="Par A"), Tenant.objects.create(slug="par-b", name="Par B")
    for tenant in (one, two):
        with tenant_scope(tenant):
            CustomerAccount.objects.create(external_id="acc-1", name="Acme")
    with tenant_scope(one):
        answers = run_reads({"all": lambda: count("accounts_customeraccount"),
                             "theirs": lambda: count("accounts_customeraccount", "tenant_id = %s", (two.pk,))})
    assert answers == {"all": 1, "theirs": 0}


def test_all_tenants_needs_a_reason():
    with pytest.raises(ValueError), all_tenants("  "):
        pass
