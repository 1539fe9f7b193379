"""Where a task came from, as a label and a link for the task pages: an alert, a survey response, a playbook
step, or by hand. Each source kind's link is built by a function registered by the app that owns the source
(``register_source_link`` from its ``AppConfig.ready``); until one is registered, the link goes to the
task's account, which always exists. Building a link runs no query (the pages list many tasks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from accounts.worklist.models import CsmTask, SourceKind

# (tenant slug, task) -> a URL, or None for "no page of its own".
SourceLink = Callable[[str, CsmTask], str | None]

_LINKS: dict[str, SourceLink] = {}


@dataclass(frozen=True)
class TaskSource:
    label: str
    url: str | None


def register_source_link(source_kind: str, link: SourceLink) -> None:
    """Later registrations replace earlier ones: the owning app knows its own pages best."""
    _LINKS[source_kind] = link


def _survey_response(slug: str, task: CsmTask) -> str | None:
    # No page per response: the closed-loop page lists the responses and their follow-up tasks.
    return reverse("survey-loop", args=[slug])


def _account_health(slug: str, task: CsmTask) -> str | None:
    return reverse("account-detail", args=[slug, task.account_id]) + "#account-health"


register_source_link(SourceKind.SURVEY_RESPONSE, _survey_response)
register_source_link(SourceKind.HEALTH_ALERT, _account_health)
register_source_link(SourceKind.PLAYBOOK_STEP, _account_health)


def task_source(slug: str, task: CsmTask) -> TaskSource:
    label = SourceKind(task.source_kind).label if task.source_kind in SourceKind.values else task.source_kind
    link = _LINKS.get(task.source_kind)
    try:
        url = link(slug, task) if link and task.source_id is not None else None
    except NoReverseMatch:  # the owning app's page is gone; the label still says where the task came from
        url = None
    return TaskSource(label=label, url=url)
