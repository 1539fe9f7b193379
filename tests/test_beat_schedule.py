"""Every periodic task in cs_platform/beat_schedule.py names a task the worker knows: a typo there would
only show as a beat that silently sends messages nobody consumes."""

from __future__ import annotations

from cs_platform.beat_schedule import SCHEDULE
from cs_platform.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()  # what a worker imports at start (autodiscovered task modules)
    missing = {name: entry["task"] for name, entry in SCHEDULE.items() if entry["task"] not in app.tasks}
    assert not missing
    assert "health.tasks.merge_all_usage_rollups" in {entry["task"] for entry in SCHEDULE.values()}
