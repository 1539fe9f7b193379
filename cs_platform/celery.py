"""The Celery app. Tasks take ``(tenant_id, ids...)`` and enter the tenant scope themselves
(``accounts.tenancy.tenant_task``); the beat schedule lives in ``cs_platform.beat_schedule``."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")

app = Celery("cs_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = __import__("cs_platform.beat_schedule", fromlist=["SCHEDULE"]).SCHEDULE


def task_packages() -> list[str]:
    """Every package of our apps that holds a ``tasks`` module: an app's sub-domain packages
    (``support.sla``, ``health.usage``, ...) keep their own, and a new one is found without a list to edit."""
    from django.conf import settings

    root = Path(__file__).resolve().parent.parent
    found = []
    for app_name in settings.INSTALLED_APPS:
        base = root / app_name.replace(".", "/")
        if not base.is_dir():
            continue  # a third-party app
        for tasks_file in sorted(base.rglob("tasks.py")):
            found.append(".".join(tasks_file.parent.relative_to(root).parts))
    return found


app.autodiscover_tasks(task_packages)
