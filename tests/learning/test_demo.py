"""The demo's learning paths: published, contacts enrolled by targeting, a deterministic history that a
second run leaves exactly as it was, and figures a CSM can look at (some completed, some part-way)."""

from __future__ import annotations

import datetime as dt

from accounts.tenancy import tenant_scope
from learning.demo import seed_learning
from learning.models import Enrollment, EnrollmentStatus, LearningPath, StepProgress
from tests.factories import ContactFactory

TODAY = dt.date(2026, 3, 1)
COLUMNS = ("id", "contact_id", "path_id", "version_id", "status", "enrolled_at", "started_at", "completed_at",
           "certificate_code")


def test_seed_learning_is_deterministic_idempotent_and_shows_progress(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        extra = [ContactFactory(tenant=tenant, account=world_a.accounts[i % 3], external_id=f"demo-{i}")
                 for i in range(30)]
        for i, contact in enumerate([*world_a.contacts, *extra]):
            contact.persona = "it_admin" if i == 0 else "power_user"
            contact.knowledge_level = "expert"
            contact.save()
        assert seed_learning(tenant=tenant, today=TODAY) > 0
        paths = dict(LearningPath.objects.values_list("slug", "is_published"))
        assert paths == {"getting-started": True, "workspace-admin": True, "reporting": True}
        first = list(Enrollment.objects.order_by("pk").values_list(*COLUMNS))
        progress = list(StepProgress.objects.order_by("pk").values_list("id", "done_at"))
        assert seed_learning(tenant=tenant, today=TODAY) == 0
        assert list(Enrollment.objects.order_by("pk").values_list(*COLUMNS)) == first
        assert list(StepProgress.objects.order_by("pk").values_list("id", "done_at")) == progress
        everyone = Enrollment.objects.filter(path__slug="getting-started")
        statuses = set(everyone.values_list("status", flat=True))
        assert statuses == {EnrollmentStatus.ENROLLED, EnrollmentStatus.STARTED, EnrollmentStatus.COMPLETED}
        assert everyone.count() == len(world_a.contacts) + len(extra)
        assert Enrollment.objects.filter(path__slug="workspace-admin").count() == 1  # the one it_admin
        noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
        for e in everyone:
            assert e.enrolled_at <= (e.started_at or noon) <= (e.completed_at or noon) <= noon
        # The power users who completed "Getting started" were offered "Reporting" (its prerequisite).
        completed = set(everyone.filter(status=EnrollmentStatus.COMPLETED, contact__persona="power_user")
                        .values_list("contact_id", flat=True))
        offered = set(Enrollment.objects.filter(path__slug="reporting").values_list("contact_id", flat=True))
        assert completed and completed == offered
