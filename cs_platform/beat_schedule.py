"""Every periodic task of the platform, in one place (DESIGN.md)."""

from celery.schedules import crontab

SCHEDULE = {
    "prune-finished-jobs": {
        "task": "accounts.tasks.prune_finished_jobs",
        "schedule": crontab(minute=17, hour=3),
    },
}
