"""Agents, teams and presence (online sessions, scheduled shifts): every write (keyword-only, atomic).

Presence rules: an agent has at most one open ``online`` session (a database constraint); online
sessions of one agent never overlap, so utilization's online seconds are never counted twice.
Sessions are idempotent by ``(agent, kind, started_at)``: posting the same one again is a duplicate,
posting it with an ``ended_at`` closes (or corrects) it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Role, Tenant
from cs_platform.bulk import BulkResult, ItemValidator, validate_batch
from support.models import Agent, AgentSession, Team

AGENT_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)


class PresenceError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def teams_by_name(*, tenant: Tenant, names: Iterable[str]) -> dict[str, Team]:
    """Teams by lower-cased name, created if new (``ON CONFLICT DO NOTHING``, then read back)."""
    wanted = {n.strip(): None for n in names if n and n.strip()}
    if not wanted:
        return {}
    lowered = {n.lower() for n in wanted}
    existing = {
        t.name.lower(): t
        for t in Team.objects.filter(tenant=tenant).annotate(n=Lower("name")).filter(n__in=lowered)
    }
    missing = [n for n in wanted if n.lower() not in existing]
    if missing:
        Team.objects.bulk_create([Team(tenant=tenant, name=n) for n in missing], ignore_conflicts=True)
        existing = {
            t.name.lower(): t
            for t in Team.objects.filter(tenant=tenant).annotate(n=Lower("name")).filter(n__in=lowered)
        }
    return existing


def agents_by_email(*, tenant: Tenant, emails: Iterable[str]) -> dict[str, Agent]:
    wanted = {e.strip().lower() for e in emails if e}
    if not wanted:
        return {}
    return {a.email: a for a in Agent.objects.filter(tenant=tenant, email__in=wanted).select_related("team")}


def upsert_agents(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    """``POST /agents/bulk``: upsert by email; ``team`` names a team, created if new."""
    from support.records.inputs import AgentItem

    result = BulkResult()
    clean = validate_batch(AgentItem, items, result, key="email")
    if not clean:
        return result
    with transaction.atomic():
        teams = teams_by_name(tenant=tenant, names=(d.get("team", "") for d in clean.values()))
        existing = {
            a.email: a
            for a in Agent.objects.filter(tenant=tenant, email__in=[d["email"] for d in clean.values()])
            .select_for_update()
        }
        to_create, to_update = [], []
        for data in clean.values():
            values: dict[str, Any] = {}
            if "name" in data:
                values["name"] = data["name"]
            if "team" in data:
                values["team_id"] = teams[data["team"].lower()].pk if data["team"] else None
            if "is_active" in data:
                values["is_active"] = data["is_active"]
            agent = existing.get(data["email"])
            if agent is None:
                to_create.append(Agent(tenant=tenant, email=data["email"], **values))
                continue
            if any(getattr(agent, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(agent, k, v)
                agent.updated_at = timezone.now()
                to_update.append(agent)
            else:
                result.duplicates += 1
        Agent.objects.bulk_create(to_create)
        if to_update:
            Agent.objects.bulk_update(to_update, ["name", "team_id", "is_active", "updated_at"])
    result.created += len(to_create)
    result.updated += len(to_update)
    result.accepted += len(to_create) + len(to_update)
    return result


def agent_for_user(*, tenant: Tenant, user: AbstractBaseUser, role: str) -> Agent | None:
    """The signed-in staff user's agent record, created on first use for the agent, manager and admin
    roles (an agent created earlier by the API with the same email is adopted); None for other roles."""
    agent = Agent.objects.filter(tenant=tenant, user=user).select_related("team").first()
    if agent is not None:
        return agent
    if role not in AGENT_ROLES or not user.email:
        return None
    email = user.email.strip().lower()
    with transaction.atomic():
        agent = Agent.objects.filter(tenant=tenant, email=email).select_for_update().first()
        if agent is None:
            Agent.objects.bulk_create(
                [Agent(tenant=tenant, email=email, name=user.get_full_name(), user=user)], ignore_conflicts=True
            )
            agent = Agent.objects.select_for_update().get(tenant=tenant, email=email)
        if agent.user_id is None:
            agent.user = user
            agent.save(update_fields=["user", "updated_at"])
    return agent if agent.user_id == user.pk else None


def _overlapping_online(tenant: Tenant, agent: Agent, start: dt.datetime, end: dt.datetime | None,
                        exclude_start: dt.datetime | None) -> AgentSession | None:
    qs = AgentSession.objects.filter(tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE)
    if exclude_start is not None:
        qs = qs.exclude(started_at=exclude_start)
    overlap = Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    if end is not None:
        overlap &= Q(started_at__lt=end)
    return qs.filter(overlap).order_by("started_at").first()


def record_session(
    *, tenant: Tenant, agent: Agent, kind: str, started_at: dt.datetime, ended_at: dt.datetime | None
) -> tuple[AgentSession, str]:
    """Create, close/correct, or recognize as duplicate one session; answers it and
    ``"created" | "updated" | "duplicate"``. Raises :class:`PresenceError` on an overlap."""
    if ended_at is not None and ended_at < started_at:
        raise PresenceError("must not be before started_at", field="ended_at")
    with transaction.atomic():
        Agent.objects.filter(tenant=tenant, pk=agent.pk).select_for_update().get()  # one writer per agent
        session = AgentSession.objects.filter(tenant=tenant, agent=agent, kind=kind, started_at=started_at).first()
        if kind == AgentSession.Kind.ONLINE:
            other = _overlapping_online(tenant, agent, started_at, ended_at, exclude_start=started_at)
            if other is not None and other.ended_at is None and other.started_at < started_at:
                # A newer presence while an older one is still open: the older one ended when this began.
                other.ended_at = started_at
                other.save(update_fields=["ended_at"])
                other = _overlapping_online(tenant, agent, started_at, ended_at, exclude_start=started_at)
            if other is not None:
                raise PresenceError(
                    f"overlaps the agent's online session from {other.started_at.isoformat()}", field="started_at"
                )
        if session is None:
            return AgentSession.objects.create(
                tenant=tenant, agent=agent, kind=kind, started_at=started_at, ended_at=ended_at
            ), "created"
        if session.ended_at == ended_at:
            return session, "duplicate"
        session.ended_at = ended_at
        session.save(update_fields=["ended_at"])
        return session, "updated"


def record_agent_sessions(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    """``POST /agent-sessions/bulk``: every valid item written (one transaction), the others by index."""
    from support.records.inputs import AgentSessionItem

    result = BulkResult()
    validate = ItemValidator(AgentSessionItem)
    clean: dict[int, dict] = {}
    for index, raw in enumerate(items):
        data, errors = validate(raw)
        if errors:
            result.reject(index, errors)
        else:
            clean[index] = data
    agents = agents_by_email(tenant=tenant, emails=(d["agent"] for d in clean.values()))
    with transaction.atomic():
        for index, data in clean.items():
            agent = agents.get(data["agent"])
            if agent is None:
                result.reject(index, [{"field": "agent", "message": "no agent with this email (POST /agents/bulk)"}])
                continue
            try:
                with transaction.atomic():
                    _, outcome = record_session(tenant=tenant, agent=agent, kind=data["kind"],
                                                started_at=data["started_at"], ended_at=data.get("ended_at"))
            except PresenceError as exc:
                result.reject(index, [{"field": exc.field, "message": str(exc)}])
                continue
            result.tally(outcome)
    return result


def go_online(*, tenant: Tenant, agent: Agent, at: dt.datetime | None = None) -> AgentSession:
    """Open an online session now (the presence page); already online = the open session, unchanged."""
    at = at or timezone.now()
    with transaction.atomic():
        Agent.objects.filter(tenant=tenant, pk=agent.pk).select_for_update().get()
        current = AgentSession.objects.filter(
            tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE, ended_at__isnull=True
        ).first()
        if current is not None:
            return current
        last_end = (
            AgentSession.objects.filter(tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE)
            .order_by("-ended_at").values_list("ended_at", flat=True).first()
        )
        # A session ending "in the future" (clock skew) must not overlap the new one.
        start = max(at, last_end) if last_end else at
        return AgentSession.objects.create(tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE, started_at=start)


def go_offline(*, tenant: Tenant, agent: Agent, at: dt.datetime | None = None) -> AgentSession | None:
    """Close the open online session (None if the agent was not online)."""
    at = at or timezone.now()
    with transaction.atomic():
        session = (
            AgentSession.objects.filter(tenant=tenant, agent=agent, kind=AgentSession.Kind.ONLINE,
                                        ended_at__isnull=True).select_for_update().first()
        )
        if session is None:
            return None
        session.ended_at = max(at, session.started_at)
        session.save(update_fields=["ended_at"])
        return session
