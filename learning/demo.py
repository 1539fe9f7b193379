"""The demo tenants' learning paths (``manage.py seed_demo``): three published paths, every matching contact
enrolled, and a deterministic share of them part-way or done, so the learning pages and the seat funnel's
"trained" step show something on a fresh ``make run``.

Deterministic and idempotent: paths are found by slug (an existing one is left as the tenant's authors may
have edited it), enrollment is the set-based pass (a rerun enrolls nobody twice), and each enrollment's
history (enrolled days ago, steps done on which day) is a function of the contact's external id and the
seed's ``today``, written with ``ignore_conflicts``, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from accounts.models import Tenant
from accounts.selectors import contact_ids
from learning.models import Enrollment, LearningPath, Step, StepKind, StepProgress
from learning.paths.services import PathData, StepData, publish, save_path, save_steps
from learning.progress import refresh_status
from learning.services import enroll
from support.knowledge.selectors import public_articles

QUIZ = {
    "questions": [
        {"text": "Where do you add a data source?", "choices": [
            {"text": "Settings → Data sources", "correct": True, "feedback": "Right: Settings, then Data sources."},
            {"text": "The dashboard's menu", "correct": False, "feedback": "Dashboards read sources; they are "
                                                                          "added in Settings → Data sources."}]},
        {"text": "Which roles can build dashboards?", "multiple": True, "choices": [
            {"text": "Editors", "correct": True},
            {"text": "Admins", "correct": True},
            {"text": "Viewers", "correct": False, "feedback": "Viewers only read dashboards and reports."}]},
    ],
    "passing_score": 100, "max_attempts": 3,
}

WELCOME = ("## Welcome\n\nThis path takes about fifteen minutes. You will connect a data source, open your first "
           "dashboard and check what you learned.\n\n- Each step shows what *done* means.\n- Product tasks "
           "complete by themselves when you do them in the product.")


def _paths(articles: dict) -> list[tuple[str, PathData, list[StepData]]]:
    def article(slug: str, title: str) -> list[StepData]:
        found = articles.get(slug)
        return [StepData(kind=StepKind.ARTICLE, title=title, article=found)] if found else []

    return [
        ("getting-started", PathData(name="Getting started", slug="getting-started", is_required=True, priority=10,
                                     description="The first fifteen minutes: data in, a dashboard out."),
         [StepData(kind=StepKind.LESSON, title="Welcome", body_markdown=WELCOME),
          *article("connect-your-first-data-source", "Connect your first data source"),
          StepData(kind=StepKind.PRODUCT_TASK, title="Open your first dashboard", event_name="dashboard_viewed"),
          StepData(kind=StepKind.QUIZ, title="Check your understanding", quiz=QUIZ)]),
        ("workspace-admin", PathData(name="Administer your workspace", slug="workspace-admin", priority=20,
                                     support_action="enroll", targeting={"personas": ["it_admin"]},
                                     description="Team, roles and integrations, for the workspace's admins."),
         [*article("invite-your-team", "Invite your team and set roles"),
          StepData(kind=StepKind.PRODUCT_TASK, title="Invite a teammate", event_name="teammate_invited"),
          StepData(kind=StepKind.PRODUCT_TASK, title="Connect an integration", event_name="integration_connected")]),
        ("reporting", PathData(name="Reporting for power users", slug="reporting", priority=30,
                               targeting={"personas": ["power_user", "manager"],
                                          "knowledge_levels": ["intermediate", "expert"]},
                               description="Reports, exports and schedules."),
         [StepData(kind=StepKind.LESSON, title="Reports and dashboards",
                   body_markdown="A **report** is a saved question; a dashboard shows several of them."),
          StepData(kind=StepKind.PRODUCT_TASK, title="Create a report", event_name="report_created"),
          StepData(kind=StepKind.PRODUCT_TASK, title="Export a report", event_name="report_exported",
                   is_required=False)]),
    ]


def _number(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:8], "big")


def seed_learning(*, tenant: Tenant, today: dt.date) -> int:
    """Create the demo paths (when missing), enroll the tenant's contacts and give the enrollments their
    deterministic history; answers how many step completions were new."""
    articles = {a.slug: a for a in public_articles(tenant=tenant)}
    by_slug = {p.slug: p for p in LearningPath.objects.filter(tenant=tenant)}
    for slug, data, steps in _paths(articles):
        if slug in by_slug:
            continue
        if slug == "reporting" and "getting-started" in by_slug:
            data.prerequisites = [by_slug["getting-started"]]
        path = save_path(tenant=tenant, path=None, data=data)
        save_steps(tenant=tenant, path=path, steps=steps)
        publish(tenant=tenant, path=path, by=None)
        by_slug[slug] = path
    enroll(tenant=tenant, contact_ids=contact_ids(tenant=tenant))
    return _seed_history(tenant=tenant, paths=[by_slug[s] for s in ("getting-started", "workspace-admin")
                                               if s in by_slug], today=today)


def _seed_history(*, tenant: Tenant, paths: list[LearningPath], today: dt.date) -> int:
    """Per enrollment of these paths: enrolled 5 to 89 days before ``today``; 45% did every step, 25% some,
    30% none; steps a day or more apart. Times are noon UTC of their day, so the history is the same
    whatever the hour of the run."""
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    enrollments = list(Enrollment.objects.filter(tenant=tenant, path__in=paths)
                       .select_related("contact").order_by("pk"))
    steps: dict[int, list[Step]] = {}
    for step in Step.objects.filter(tenant=tenant, version_id__in={e.version_id for e in enrollments}):
        steps.setdefault(step.version_id, []).append(step)
    progress, moved = [], []
    for enrollment in enrollments:
        n = _number(enrollment.contact.external_id, str(enrollment.path.slug))
        enrolled_at = noon - dt.timedelta(days=5 + n % 85)
        if enrollment.enrolled_at != enrolled_at:
            enrollment.enrolled_at = enrolled_at
            moved.append(enrollment)
        ordered = sorted(steps.get(enrollment.version_id, []), key=lambda s: s.position)
        bucket = (n >> 8) % 100
        done = len(ordered) if bucket < 45 else (1 + (n >> 16) % max(len(ordered) - 1, 1)) if bucket < 70 else 0
        day = enrolled_at
        for step in ordered[:done]:
            day = min(day + dt.timedelta(days=1 + (n >> (20 + step.position)) % 4), noon)
            evidence = ({"kind": "event", "event_name": step.event_name, "occurred_at": day.isoformat(),
                         "source": "demo"} if step.kind == StepKind.PRODUCT_TASK else {"kind": step.kind})
            progress.append(StepProgress(tenant=tenant, enrollment=enrollment, step=step, done_at=day,
                                         evidence=evidence))
    Enrollment.objects.bulk_update(moved, ["enrolled_at"], batch_size=1000)
    before = StepProgress.objects.filter(tenant=tenant).count()
    StepProgress.objects.bulk_create(progress, ignore_conflicts=True, batch_size=2000)
    new = StepProgress.objects.filter(tenant=tenant).count() - before
    ids = [e.pk for e in enrollments]
    for start in range(0, len(ids), 2000):
        refresh_status(tenant=tenant, enrollment_ids=ids[start:start + 2000])
    return new
