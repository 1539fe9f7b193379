"""The Celery app. Tasks take ``(tenant_id, ids...)`` and enter the tenant scope themselves
(``accounts.tenancy.tenant_task``); the beat schedule lives in ``cs_platform.beat_schedule``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")

app = Celery("cs_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = __import__("cs_platform.beat_schedule", fromlist=["SCHEDULE"]).SCHEDULE
app.autodiscover_tasks()
