"""Writes of the health alerts (keyword-only, typed, atomic): the default rules, a rule's edit, the evaluation
of the rules for a local day (alerts, their tasks, their playbooks), playbooks and their steps, and the start
of a playbook on an account."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import CustomerAccount, LifecycleStage, Tenant
from accounts.selectors import accounts_by_id, tenant_today
from accounts.worklist.models import SourceKind
from accounts.worklist.services import SourcedTask, open_tasks_for_sources
from health.alerts.evaluation import DETECTORS, Hit
from health.alerts.models import (
    CAUSE_MAX,
    DETAIL_MAX,
    NAME_MAX,
    TITLE_MAX,
    AlertRule,
    HealthAlert,
    Playbook,
    PlaybookRun,
    PlaybookRunStep,
    PlaybookStep,
)
from health.alerts.rules import DEFAULT_RULES, DUE_MAX, RuleError, clean_params, default_params
from health.alerts.selectors import active_rules, has_rules

MAX_STEPS = 50
OFFSET_MAX = 365


class PlaybookError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(raw: str, field: str = "name") -> str:
    name = " ".join((raw or "").split())
    if not name or len(name) > NAME_MAX:
        raise RuleError(field, f"a name of 1 to {NAME_MAX} characters")
    return name


# --- rules --------------------------------------------------------------------------------------------


def ensure_default_rules(*, tenant: Tenant) -> int:
    """The default set (one rule per kind, health.alerts.rules.DEFAULT_RULES) for a tenant without any rule;
    answers how many were created. Two first uses at once create each once (unique name, ON CONFLICT)."""
    if has_rules(tenant=tenant):
        return 0
    rows = [AlertRule(tenant=tenant, kind=kind, name=name, params=default_params(kind), due_in_days=due)
            for kind, name, due in DEFAULT_RULES]
    return len(AlertRule.objects.bulk_create(rows, ignore_conflicts=True))


@dataclass(frozen=True)
class RuleData:
    name: str
    is_active: bool
    params: dict
    due_in_days: int
    playbook: Playbook | None


@transaction.atomic
def update_rule(*, tenant: Tenant, rule: AlertRule, data: RuleData) -> AlertRule:
    """Validate everything first (a RuleError names the field), then save: nothing is half-written."""
    name = _name(data.name)
    params = clean_params(rule.kind, data.params)
    if isinstance(data.due_in_days, bool) or not isinstance(data.due_in_days, int) \
            or not 0 <= data.due_in_days <= DUE_MAX:
        raise RuleError("due_in_days", f"a whole number of days from 0 to {DUE_MAX}")
    if data.playbook is not None and data.playbook.tenant_id != tenant.pk:
        raise RuleError("playbook", "not a playbook of this tenant")
    if AlertRule.objects.filter(tenant=tenant, name=name).exclude(pk=rule.pk).exists():
        raise RuleError("name", "another rule has this name")
    rule.name, rule.is_active, rule.params = name, bool(data.is_active), params
    rule.due_in_days, rule.playbook = data.due_in_days, data.playbook
    rule.save()
    return rule


# --- evaluation ---------------------------------------------------------------------------------------

_INSERT_ALERTS = """
INSERT INTO health_healthalert (tenant_id, rule_id, kind, account_id, cause_key, day, title, facts, raised_at)
SELECT %(tenant)s, %(rule)s, %(kind)s, u.account_id, u.cause_key, %(day)s, u.title, u.facts::jsonb, %(now)s
FROM unnest(%(accounts)s::bigint[], %(keys)s::text[], %(titles)s::text[], %(facts)s::text[])
     AS u(account_id, cause_key, title, facts)
ON CONFLICT (tenant_id, kind, account_id, cause_key) DO NOTHING
RETURNING id, account_id, cause_key
"""


def _insert_alerts(*, tenant: Tenant, rule: AlertRule, day: dt.date, hits: Sequence[Hit]) -> dict[tuple, int]:
    """Insert the alerts whose cause is new; answers {(account id, cause key): alert id} of those inserted now.
    ON CONFLICT DO NOTHING ... RETURNING tells exactly which rows this statement wrote, also when another
    evaluation inserts the same causes at the same moment (it waits on the unique index, then skips)."""
    params = {"tenant": tenant.pk, "rule": rule.pk, "kind": rule.kind, "day": day, "now": timezone.now(),
              "accounts": [h.account_id for h in hits], "keys": [h.cause_key[:CAUSE_MAX] for h in hits],
              "titles": [_shorten(h.title, TITLE_MAX) for h in hits],
              "facts": [json.dumps(h.facts, default=str) for h in hits]}
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ALERTS, params)
        return {(account_id, key): pk for pk, account_id, key in cursor.fetchall()}


def _live_hits(hits: list[Hit], accounts: dict[int, CustomerAccount]) -> list[Hit]:
    """One hit per (account, cause), of accounts that exist and are not churned."""
    seen: dict[tuple, Hit] = {}
    for h in hits:
        account = accounts.get(h.account_id)
        if account is not None and account.lifecycle_stage != LifecycleStage.CHURNED:
            seen.setdefault((h.account_id, h.cause_key[:CAUSE_MAX]), h)
    return list(seen.values())


@transaction.atomic
def evaluate_rules(*, tenant: Tenant, day: dt.date, account_ids: Sequence[int] | None = None) -> dict:
    """Evaluate every active rule of the tenant for local day ``day`` (over ``account_ids``, or all accounts):
    each new cause becomes a HealthAlert, one CSM task (the account's CSM, due ``day + rule.due_in_days``) and,
    when the rule names an active playbook, one run of it. Causes already raised raise nothing (see
    health.alerts.evaluation for the cause keys). Queries: a fixed number per rule, none per account."""
    ensure_default_rules(tenant=tenant)
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    rules = active_rules(tenant=tenant)
    found = {rule.pk: DETECTORS[rule.kind](tenant, day, rule.params, ids) for rule in rules}
    accounts = {a.pk: a for a in accounts_by_id(tenant=tenant, ids={h.account_id for hs in found.values() for h in hs})}
    summary = {"rules": len(rules), "hits": 0, "alerts": 0, "tasks": 0, "playbook_runs": 0}
    for rule in rules:
        hits = _live_hits(found[rule.pk], accounts)
        summary["hits"] += len(hits)
        if not hits:
            continue
        new = _insert_alerts(tenant=tenant, rule=rule, day=day, hits=hits)
        summary["alerts"] += len(new)
        tasks = [SourcedTask(source_id=new[(h.account_id, h.cause_key[:CAUSE_MAX])], account_id=h.account_id,
                             contact_id=None, assignee_id=accounts[h.account_id].owner_csm_id, title=h.title,
                             detail=_shorten(f"{h.detail}\n\nRule: {rule.name}", DETAIL_MAX),
                             due_on=day + dt.timedelta(days=rule.due_in_days))
                 for h in hits if (h.account_id, h.cause_key[:CAUSE_MAX]) in new]
        summary["tasks"] += len(open_tasks_for_sources(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT,
                                                       tasks=tasks))
        playbook = rule.playbook
        if playbook is not None and playbook.is_active and new:
            alerts = HealthAlert.objects.filter(tenant=tenant, pk__in=list(new.values()))
            for alert in alerts:
                try:
                    start_playbook(tenant=tenant, playbook=playbook, account=accounts[alert.account_id], by=None,
                                   alert=alert, day=day)
                except PlaybookError:
                    continue  # a playbook without steps yet: the alert and its task stand on their own
                summary["playbook_runs"] += 1
    return summary


# --- playbooks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookData:
    name: str
    description: str = ""
    is_active: bool = True


@transaction.atomic
def save_playbook(*, tenant: Tenant, playbook: Playbook | None, data: PlaybookData) -> Playbook:
    try:
        name = _name(data.name)
    except RuleError as error:
        raise PlaybookError(error.field, str(error)) from None
    description = (data.description or "").strip()
    if len(description) > DETAIL_MAX:
        raise PlaybookError("description", f"at most {DETAIL_MAX} characters")
    if Playbook.objects.filter(tenant=tenant, name=name).exclude(pk=playbook.pk if playbook else None).exists():
        raise PlaybookError("name", "another playbook has this name")
    playbook = playbook or Playbook(tenant=tenant)
    playbook.name, playbook.description, playbook.is_active = name, description, bool(data.is_active)
    playbook.save()
    return playbook


@dataclass(frozen=True)
class StepData:
    title: str
    detail: str = ""
    due_offset_days: int = 0


def _clean_step(data: StepData) -> tuple[str, str, int]:
    title = " ".join((data.title or "").split())
    if not title or len(title) > TITLE_MAX:
        raise PlaybookError("title", f"a title of 1 to {TITLE_MAX} characters")
    detail = (data.detail or "").strip()
    if len(detail) > DETAIL_MAX:
        raise PlaybookError("detail", f"at most {DETAIL_MAX} characters")
    offset = data.due_offset_days
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= OFFSET_MAX:
        raise PlaybookError("due_offset_days", f"a whole number of days from 0 to {OFFSET_MAX}")
    return title, detail, offset


def _lock(tenant: Tenant, playbook: Playbook) -> list[PlaybookStep]:
    """Lock the playbook row (step edits of one playbook take turns), answer its steps in order."""
    Playbook.objects.select_for_update().filter(tenant=tenant, pk=playbook.pk).first()
    return list(PlaybookStep.objects.filter(tenant=tenant, playbook=playbook).order_by("position"))


@transaction.atomic
def add_step(*, tenant: Tenant, playbook: Playbook, data: StepData) -> PlaybookStep:
    title, detail, offset = _clean_step(data)
    steps = _lock(tenant, playbook)
    if len(steps) >= MAX_STEPS:
        raise PlaybookError("title", f"a playbook has at most {MAX_STEPS} steps")
    position = steps[-1].position + 1 if steps else 1
    return PlaybookStep.objects.create(tenant=tenant, playbook=playbook, position=position, title=title,
                                       detail=detail, due_offset_days=offset)


@transaction.atomic
def update_step(*, tenant: Tenant, step: PlaybookStep, data: StepData) -> PlaybookStep:
    step.title, step.detail, step.due_offset_days = _clean_step(data)
    step.save(update_fields=["title", "detail", "due_offset_days"])
    return step


def _renumber(steps: list[PlaybookStep]) -> None:
    """Give ``steps`` positions 1..n in list order. Two passes through positions no step holds (above
    MAX_STEPS), because the unique (playbook, position) is checked row by row within one UPDATE."""
    for parked, step in enumerate(steps, start=MAX_STEPS + 1):
        step.position = parked
    PlaybookStep.objects.bulk_update(steps, ["position"])
    for i, step in enumerate(steps, start=1):
        step.position = i
    PlaybookStep.objects.bulk_update(steps, ["position"])


@transaction.atomic
def move_step(*, tenant: Tenant, step: PlaybookStep, up: bool) -> list[PlaybookStep]:
    """Swap the step with its neighbour above (``up``) or below; at an end nothing moves. Answers the steps."""
    steps = _lock(tenant, step.playbook)
    at = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = at - 1 if up else at + 1
    if 0 <= other < len(steps):
        steps[at], steps[other] = steps[other], steps[at]
        _renumber(steps)
    return steps


@transaction.atomic
def delete_step(*, tenant: Tenant, step: PlaybookStep) -> list[PlaybookStep]:
    steps = _lock(tenant, step.playbook)
    PlaybookStep.objects.filter(tenant=tenant, pk=step.pk).delete()
    rest = [s for s in steps if s.pk != step.pk]
    _renumber(rest)
    return rest


@transaction.atomic
def start_playbook(*, tenant: Tenant, playbook: Playbook, account: CustomerAccount, by: AbstractBaseUser | None,
                   alert: HealthAlert | None = None, day: dt.date | None = None) -> PlaybookRun:
    """Copy the playbook's steps into a run on ``account`` and open one task per step (the account's CSM,
    due the start day + the step's offset). Started for an alert, at most once per alert: a second start
    answers the first run. The start day is ``day``, else today in the tenant's zone."""
    if alert is not None:
        existing = PlaybookRun.objects.filter(tenant=tenant, alert=alert).first()
        if existing is not None:
            return existing
    if not playbook.is_active:
        raise PlaybookError("playbook", "this playbook is inactive")
    if account.tenant_id != tenant.pk or playbook.tenant_id != tenant.pk:
        raise PlaybookError("account", "not an account of this tenant")
    steps = list(PlaybookStep.objects.filter(tenant=tenant, playbook=playbook).order_by("position"))
    if not steps:
        raise PlaybookError("playbook", "this playbook has no steps yet")
    start = day or tenant_today(tenant)
    try:
        with transaction.atomic():
            run = PlaybookRun.objects.create(tenant=tenant, playbook=playbook, account=account, alert=alert,
                                             started_at=timezone.now(), started_by=by)
    except IntegrityError:
        # Another start for the same alert committed first: its run is the one.
        return PlaybookRun.objects.get(tenant=tenant, alert=alert)
    run_steps = PlaybookRunStep.objects.bulk_create([
        PlaybookRunStep(tenant=tenant, run=run, position=i, title=s.title, detail=s.detail,
                        due_on=start + dt.timedelta(days=s.due_offset_days))
        for i, s in enumerate(steps, start=1)])
    open_tasks_for_sources(tenant=tenant, source_kind=SourceKind.PLAYBOOK_STEP, tasks=[
        SourcedTask(source_id=rs.pk, account_id=account.pk, contact_id=None, assignee_id=account.owner_csm_id,
                    title=rs.title, due_on=rs.due_on,
                    detail=_shorten(f"{rs.detail}\n\nPlaybook: {playbook.name}, step {rs.position} of "
                                    f"{len(run_steps)}".strip(), DETAIL_MAX))
        for rs in run_steps])
    return run
