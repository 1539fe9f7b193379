from __future__ import annotations

from learning.models import LearningPath
from learning.paths.services import PathData, StepData, publish, save_path, save_steps


def published_path(tenant, name="Admin onboarding", *, targeting=None, steps=None, prerequisites=(),
                   priority=100) -> LearningPath:
    path = save_path(tenant=tenant, path=None, data=PathData(name=name, targeting=targeting or {},
                                                             prerequisites=prerequisites, priority=priority))
    save_steps(tenant=tenant, path=path, steps=steps or [StepData(kind="lesson", title="Welcome",
                                                                  body_markdown="# Hi")])
    publish(tenant=tenant, path=path, by=None)
    path.refresh_from_db()
    return path
