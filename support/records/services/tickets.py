"""Tickets, interactions, status and assignment history: every write (keyword-only, typed, atomic).

The denormalized ticket columns are always *recomputed from the history rows* under a lock on the
ticket row, never patched incrementally, so events applied in any order (a helpdesk import, retries)
give the values METRICS.md defines:

- ``status``: the status of the latest status row (by ``changed_at``, then insertion); ``new`` if none.
- ``resolved_at`` / ``last_resolved_at``: the first / last row with status ``resolved``.
- ``assignee``: the agent of the latest assignment row (by ``assigned_at``); ``resolved_assignee``: of
  the latest assignment at or before ``resolved_at`` (attribution of resolutions and CSAT).
- ``first_response_at`` / ``first_responder`` (FRT rule): the earliest public outbound interaction
  authored by an agent that starts at or after the ticket's first inbound contact interaction; if that
  first inbound interaction is live (chat, phone) and was answered, its ``answered_at`` counts as a
  response too (by the agent who answered). No inbound contact interaction = no first response.

``next_response_due_at`` (SLA next-response clock): while the ticket is open and its SLA policy has a
next-response target, the latest public conversational interaction decides it: a contact's inbound
message that came *after the first response* starts the clock (its ``started_at`` + the target, in the
policy's calendar or business seconds, support.sla.selectors.due_after); an agent's public outbound reply stops it
(null). Messages before the first response are covered by the first-response clock; bot, system and
internal interactions neither start nor stop it; resolving or closing the ticket clears it.

Decision on reopening: a public inbound interaction from the contact that starts after the ticket's
latest status change while the ticket is ``resolved`` adds a status row ``open`` at that time. A
``closed`` ticket is final: the integration (or an agent) opens a new ticket. An older inbound
interaction (imported history) never reopens anything: history already says what happened.

Inputs are the dataclasses of support.records.data (``TicketData``, ``InteractionData``, ``StatusData``),
whose construction already checked the domain rules; what only the database can tell (an unknown agent,
account or contact, an external id taken elsewhere) raises ``RecordError`` naming the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, Tenant
from accounts.selectors import account_by_external_id, contact_by_external_id
from health.scores.dirty import mark_dirty
from support.models import (
    LIVE_CHANNELS,
    Agent,
    ArticleSuggestion,
    AuthorType,
    Direction,
    Interaction,
    Team,
    Ticket,
    TicketAssignment,
    TicketStatus,
    TicketStatusChange,
)
from support.records.backlog import refresh_open_spans
from support.records.data import UNSET, InteractionData, RecordError, StatusData, TicketData
from support.records.services.agents import agents_by_email, teams_by_name
from support.records.services.identities import IdentityError, link_free_identities, resolve_contact
from support.sla.selectors import due_after
from support.sla.services import on_ticket_created


@dataclass
class Written:
    obj: Any
    created: bool
    changed: bool = True


def _locked(tenant: Tenant, ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=ticket.pk)


def recompute_status(*, tenant: Tenant, ticket: Ticket) -> None:
    """status, resolved_at, last_resolved_at, resolved_assignee from the history rows (ticket locked)."""
    rows = TicketStatusChange.objects.filter(tenant=tenant, ticket=ticket)
    latest = rows.order_by("-changed_at", "-id").values_list("status", flat=True).first()
    resolved = rows.filter(status=TicketStatus.RESOLVED).aggregate(first=Min("changed_at"), last=Max("changed_at"))
    ticket.status = latest or TicketStatus.NEW
    ticket.resolved_at, ticket.last_resolved_at = resolved["first"], resolved["last"]
    ticket.resolved_assignee_id = None
    if ticket.resolved_at is not None:
        ticket.resolved_assignee_id = (
            TicketAssignment.objects.filter(tenant=tenant, ticket=ticket, assigned_at__lte=ticket.resolved_at)
            .order_by("-assigned_at", "-id").values_list("agent_id", flat=True).first()
        )
    refresh_open_spans(ticket)  # the backlog's view of the same history (support.records.backlog)


def recompute_assignee(*, tenant: Tenant, ticket: Ticket) -> None:
    latest = (
        TicketAssignment.objects.filter(tenant=tenant, ticket=ticket)
        .order_by("-assigned_at", "-id").values_list("agent_id", flat=True)[:1]
    )
    ticket.assignee_id = latest[0] if latest else None


def recompute_first_response(*, tenant: Tenant, ticket: Ticket) -> None:
    interactions = Interaction.objects.filter(tenant=tenant, ticket=ticket)
    first_inbound = (
        interactions.filter(direction=Direction.INBOUND, author_type=AuthorType.CONTACT, is_internal=False)
        .order_by("started_at", "id").values("started_at", "channel", "answered_at", "agent_id").first()
    )
    ticket.first_response_at, ticket.first_responder_id = None, None
    if first_inbound is None:
        return
    candidates: list[tuple[dt.datetime, int | None]] = []
    reply = (
        interactions.filter(direction=Direction.OUTBOUND, author_type=AuthorType.AGENT, is_internal=False,
                            started_at__gte=first_inbound["started_at"])
        .order_by("started_at", "id").values_list("started_at", "agent_id").first()
    )
    if reply is not None:
        candidates.append(reply)
    if first_inbound["channel"] in LIVE_CHANNELS and first_inbound["answered_at"] is not None:
        candidates.append((first_inbound["answered_at"], first_inbound["agent_id"]))
    if candidates:
        # The live answer wins a tie: it is the same moment, and the agent who picked up answered.
        ticket.first_response_at, ticket.first_responder_id = min(candidates, key=lambda c: c[0])


def recompute_next_response(*, tenant: Tenant, ticket: Ticket) -> None:
    """next_response_due_at from the interactions (module docstring); call after first response and status."""
    ticket.next_response_due_at = None
    if not ticket.is_open or ticket.first_response_at is None or not ticket.sla_policy_id:
        return
    policy = ticket.sla_policy
    if policy.next_response_seconds is None:
        return
    latest = (
        Interaction.objects.filter(tenant=tenant, ticket=ticket, is_internal=False)
        .filter(Q(direction=Direction.INBOUND, author_type=AuthorType.CONTACT)
                | Q(direction=Direction.OUTBOUND, author_type=AuthorType.AGENT))
        .order_by("-started_at", "-id").values("direction", "started_at").first()
    )
    if latest and latest["direction"] == Direction.INBOUND and latest["started_at"] > ticket.first_response_at:
        ticket.next_response_due_at = due_after(policy, latest["started_at"], policy.next_response_seconds)


def _save_ticket(ticket: Ticket) -> None:
    ticket.updated_at = timezone.now()
    ticket.save()


def _health_inputs_changed(tenant: Tenant, *account_ids: int | None) -> None:
    """The account's support load (tickets, open high-priority ones) changed: its health score is
    recomputed soon (health.scores.dirty). Called inside the writer's transaction."""
    mark_dirty(tenant=tenant, account_ids=account_ids)


def backdate_updated_at(*, tenant: Tenant, ticket: Ticket, at: dt.datetime) -> bool:
    """Set the ticket's "updated" time to ``at``, its last recorded activity, for history written after
    the fact (the demo seed): the services stamp the moment of writing, which made every seeded ticket
    "updated just now". Answers whether the value changed."""
    changed = Ticket.objects.filter(tenant=tenant, pk=ticket.pk).exclude(updated_at=at).update(updated_at=at)
    if changed:
        ticket.updated_at = at
    return bool(changed)


def _agent(tenant: Tenant, email: str, field: str) -> Agent | None:
    if not email:
        return None
    agent = agents_by_email(tenant=tenant, emails=[email]).get(email)
    if agent is None:
        raise RecordError("no agent with this email (create it with POST /agents/bulk)", field=field)
    return agent


def _ticket_contact(tenant: Tenant, data: TicketData, account: CustomerAccount | None) -> Contact:
    """The contact named by external_id, or the one behind the identities given (found or created)."""
    identities = data.identities
    if data.contact:
        contact = contact_by_external_id(tenant=tenant, external_id=data.contact, with_account=True)
        if contact is None:
            raise RecordError("no contact with this external_id", field="contact")
        link_free_identities(tenant, contact, identities)
        return contact
    if not identities:
        raise RecordError("give contact (external_id), contact_email, contact_phone or contact_social", field="contact")
    try:
        return resolve_contact(tenant=tenant, identities=identities, account=account, name=data.contact_name).contact
    except IdentityError as exc:
        raise RecordError(str(exc), field=exc.field) from None


def _assign(tenant: Tenant, ticket: Ticket, agent: Agent | None, at: dt.datetime,
            by: AbstractBaseUser | None) -> bool:
    """Add an assignment row unless the assignment in force at ``at`` is already ``agent``."""
    current = (
        TicketAssignment.objects.filter(tenant=tenant, ticket=ticket, assigned_at__lte=at)
        .order_by("-assigned_at", "-id").values_list("agent_id", flat=True)[:1]
    )
    current_agent = current[0] if current else None
    if current_agent == (agent.pk if agent else None):
        return False
    TicketAssignment.objects.create(tenant=tenant, ticket=ticket, agent=agent, assigned_at=at, assigned_by=by)
    return True


@dataclass(frozen=True)
class _TicketRefs:
    """What a ticket input names by key, found in the database (unknown ones are errors naming the field)."""

    account: CustomerAccount | None
    assignee: Agent | None
    team: Team | None


def _ticket_refs(tenant: Tenant, data: TicketData) -> _TicketRefs:
    account = None
    if data.account:
        account = account_by_external_id(tenant=tenant, external_id=data.account)
        if account is None:
            raise RecordError("no account with this external_id", field="account")
    assignee = _agent(tenant, data.assignee, "assignee") if data.assignee else None
    team = teams_by_name(tenant=tenant, names=[data.team])[data.team.lower()] if data.team else None
    return _TicketRefs(account, assignee, team)


# The ticket columns copied from the input when given; the others come from references or the history rows.
_GIVEN_COLUMNS = ("channel", "subject", "priority", "created_at", "tags")
# The columns whose change makes an update write the ticket (Written.changed).
_TRACKED = ("account_id", "contact_id", "channel", "subject", "priority", "created_at", "team_id", "tags")


def upsert_ticket(*, tenant: Tenant, data: TicketData, by: AbstractBaseUser | None = None) -> Written:
    """Create or update one ticket by ``external_id``; on update only the fields given change.
    ``assignee`` adds an assignment row when it changes: at ``created_at`` for a new ticket (an import
    states who had it), else now. ``Written.created`` tells which (the API answers 201 or 200)."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).filter(tenant=tenant, external_id=data.external_id).first()
        )
        refs = _ticket_refs(tenant, data)
        if ticket is None:
            return _create_ticket(tenant, data, refs, by)
        return _update_ticket(tenant, ticket, data, refs, by)


def _create_ticket(tenant: Tenant, data: TicketData, refs: _TicketRefs, by: AbstractBaseUser | None) -> Written:
    if not data.channel:
        raise RecordError("This field is required.", field="channel")
    contact = _ticket_contact(tenant, data, refs.account)
    ticket = Ticket(tenant=tenant, external_id=data.external_id, contact=contact,
                    account=refs.account or contact.account, created_at=timezone.now())
    for name in _GIVEN_COLUMNS:
        if getattr(data, name) is not UNSET:
            setattr(ticket, name, getattr(data, name))
    if data.team is not UNSET:
        ticket.team = refs.team
    elif refs.assignee is not None:
        ticket.team_id = refs.assignee.team_id
    try:
        with transaction.atomic():
            _save_ticket(ticket)
    except IntegrityError:
        raise RecordError("created concurrently by another request; retry", field="external_id") from None
    refresh_open_spans(ticket)
    on_ticket_created(ticket=ticket)  # after commit: SLA due times and KB qualification (support.sla)
    if data.assignee is not UNSET and _assign(tenant, ticket, refs.assignee, ticket.created_at, by):
        recompute_assignee(tenant=tenant, ticket=ticket)
        recompute_status(tenant=tenant, ticket=ticket)
        _save_ticket(ticket)
    _health_inputs_changed(tenant, ticket.account_id)
    return Written(ticket, created=True, changed=True)


def _update_ticket(tenant: Tenant, ticket: Ticket, data: TicketData, refs: _TicketRefs,
                   by: AbstractBaseUser | None) -> Written:
    before = {name: getattr(ticket, name) for name in _TRACKED}
    if data.names_contact:
        ticket.contact = _ticket_contact(tenant, data, refs.account or ticket.account)
    if data.account is not UNSET:
        ticket.account = refs.account
    for name in _GIVEN_COLUMNS:
        if getattr(data, name) is not UNSET:
            setattr(ticket, name, getattr(data, name))
    if data.team is not UNSET:
        ticket.team = refs.team
    changed = any(getattr(ticket, name) != value for name, value in before.items())
    if any(getattr(ticket, name) != before[name] for name in ("created_at", "channel")):
        refresh_open_spans(ticket)  # the spans start at created_at and carry the channel
    if data.assignee is not UNSET and _assign(tenant, ticket, refs.assignee, timezone.now(), by):
        recompute_assignee(tenant=tenant, ticket=ticket)
        recompute_status(tenant=tenant, ticket=ticket)
        changed = True
    if changed:
        _save_ticket(ticket)
        _health_inputs_changed(tenant, before["account_id"], ticket.account_id)
    return Written(ticket, created=False, changed=changed)


def change_status(
    *,
    tenant: Tenant,
    ticket: Ticket,
    data: StatusData,
    agent: Agent | None = None,
    by: AbstractBaseUser | None = None,
) -> Written:
    """Add a status row (historical ``changed_at`` welcome) and, when ``data.assignee`` is given, an
    assignment at the same time; the same status at the same time again is a duplicate (a retried
    request). ``agent`` may be passed resolved (pages) instead of ``data.agent`` (an email)."""
    changed_at = data.changed_at or timezone.now()
    with transaction.atomic():
        assignee = _agent(tenant, data.assignee, "assignee") if data.assignee else None
        if agent is None and data.agent:
            agent = _agent(tenant, data.agent, "agent")
        ticket = _locked(tenant, ticket)
        changed = False
        if data.assignee is not UNSET and _assign(tenant, ticket, assignee, changed_at, by):
            recompute_assignee(tenant=tenant, ticket=ticket)
            changed = True
        exists = TicketStatusChange.objects.filter(tenant=tenant, ticket=ticket, status=data.status,
                                                   changed_at=changed_at).exists()
        if not exists:
            TicketStatusChange.objects.create(tenant=tenant, ticket=ticket, status=data.status,
                                              changed_at=changed_at, agent=agent, changed_by=by)
            changed = True
        if changed:
            recompute_status(tenant=tenant, ticket=ticket)
            if not ticket.is_open:
                ticket.next_response_due_at = None  # the clock runs on open tickets only
            _save_ticket(ticket)
            _health_inputs_changed(tenant, ticket.account_id)
    return Written(ticket, created=not exists, changed=changed)


def assign_ticket(
    *,
    tenant: Tenant,
    ticket: Ticket,
    agent: Agent | None,
    assigned_at: dt.datetime | None = None,
    by: AbstractBaseUser | None = None,
) -> Written:
    """Assign (``agent`` None = unassign) from ``assigned_at`` (default now); a no-op if already so."""
    assigned_at = assigned_at or timezone.now()
    with transaction.atomic():
        ticket = _locked(tenant, ticket)
        changed = _assign(tenant, ticket, agent, assigned_at, by)
        if changed:
            if agent is not None and ticket.team_id is None:
                ticket.team_id = agent.team_id
            recompute_assignee(tenant=tenant, ticket=ticket)
            recompute_status(tenant=tenant, ticket=ticket)
            _save_ticket(ticket)
    return Written(ticket, created=changed, changed=changed)


INTERACTION_FIELDS = ("channel", "direction", "author_type", "agent_id", "contact_id", "is_internal", "body",
                      "started_at", "queued_at", "answered_at", "ended_at", "handle_seconds", "queue_team_id")


def _maybe_reopen(tenant: Tenant, ticket: Ticket, interaction: Interaction) -> bool:
    if not (interaction.direction == Direction.INBOUND and interaction.author_type == AuthorType.CONTACT
            and not interaction.is_internal and ticket.status == TicketStatus.RESOLVED):
        return False
    latest = (
        TicketStatusChange.objects.filter(tenant=tenant, ticket=ticket)
        .order_by("-changed_at", "-id").values_list("changed_at", flat=True).first()
    )
    if latest is not None and interaction.started_at <= latest:
        return False
    TicketStatusChange.objects.create(tenant=tenant, ticket=ticket, status=TicketStatus.OPEN,
                                      changed_at=interaction.started_at)
    return True


def append_interaction(
    *, tenant: Tenant, ticket: Ticket, data: InteractionData, agent: Agent | None = None,
    by: AbstractBaseUser | None = None,
) -> Written:
    """Append one interaction idempotently by ``external_id``.

    The same external_id again updates the stored interaction with the values given (a live call
    first posted while queued, then again once answered and ended) or is a duplicate when nothing
    differs. ``agent`` may be passed resolved (pages) instead of ``data.agent`` (an email).
    """
    with transaction.atomic():
        ticket = _locked(tenant, ticket)
        if agent is None and data.agent:
            agent = _agent(tenant, data.agent, "agent")
        queue_team = None
        if data.queue_team:
            queue_team = teams_by_name(tenant=tenant, names=[data.queue_team])[data.queue_team.lower()]
        values = {
            "channel": data.channel,
            "direction": data.direction,
            "author_type": data.author_type,
            "agent_id": agent.pk if agent else None,
            "contact_id": ticket.contact_id if data.author_type == AuthorType.CONTACT else None,
            "is_internal": data.is_internal,
            "body": data.body,
            "started_at": data.started_at,
            "queued_at": data.queued_at,
            "answered_at": data.answered_at,
            "ended_at": data.ended_at,
            "handle_seconds": data.handle_seconds,
            "queue_team_id": queue_team.pk if queue_team else None,
        }
        interaction = Interaction.objects.filter(tenant=tenant, external_id=data.external_id).first()
        created = interaction is None
        if interaction is not None:
            if interaction.ticket_id != ticket.pk:
                raise RecordError("already used by an interaction of another ticket", field="external_id")
            if all(getattr(interaction, k) == v for k, v in values.items()):
                return Written(interaction, created=False, changed=False)
            for k, v in values.items():
                setattr(interaction, k, v)
            interaction.save()
        else:
            try:
                with transaction.atomic():
                    interaction = Interaction.objects.create(
                        tenant=tenant, ticket=ticket, external_id=data.external_id, **values
                    )
            except IntegrityError:
                raise RecordError("created concurrently by another request; retry", field="external_id") from None
        recompute_first_response(tenant=tenant, ticket=ticket)
        if _maybe_reopen(tenant, ticket, interaction):
            recompute_status(tenant=tenant, ticket=ticket)
            _health_inputs_changed(tenant, ticket.account_id)  # reopened: open tickets count
        recompute_next_response(tenant=tenant, ticket=ticket)
        _save_ticket(ticket)
        if created and _is_first_contact_message(tenant, ticket, interaction):
            # A ticket created (by the API) before its first message was not qualified then: the
            # knowledge base needs the question. The new-ticket task is idempotent (one policy, one
            # set of suggestions), so enqueueing it again here is safe.
            on_ticket_created(ticket=ticket)
    return Written(interaction, created=created)


def _is_first_contact_message(tenant: Tenant, ticket: Ticket, interaction: Interaction) -> bool:
    """``interaction`` is the ticket's only public inbound contact interaction and no suggestion exists."""
    if not (interaction.direction == Direction.INBOUND and interaction.author_type == AuthorType.CONTACT
            and not interaction.is_internal):
        return False
    inbound = Interaction.objects.filter(tenant=tenant, ticket=ticket, direction=Direction.INBOUND,
                                         author_type=AuthorType.CONTACT, is_internal=False)
    return (not inbound.exclude(pk=interaction.pk).exists()
            and not ArticleSuggestion.objects.filter(tenant=tenant, ticket=ticket).exists())


def merge_tickets(*, tenant: Tenant, source: Ticket, into: Ticket, by: AbstractBaseUser | None,
                  at: dt.datetime | None = None) -> Ticket:
    """Merge ``source`` into ``into`` (a duplicate opened by the same customer): ``source`` gets
    ``merged_into`` and a ``closed`` status row (closed is final, so nothing reopens it), and both get an
    internal note saying so, written by the system with the person's name. The conversation stays where
    it was: the note on ``into`` links the merged ticket.

    Refused (RecordError naming ``into``): a ticket into itself, into a ticket that was itself merged away
    (merge into the one it went to), a ticket already merged, and tickets whose contacts belong to
    different accounts (two customers' conversations are never one ticket; contacts of one account are:
    colleagues write about the same problem). Both rows are locked in id order, so two merges of the
    same pair cannot interleave (nor deadlock)."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = {t.pk: t for t in Ticket.objects.select_for_update(of=("self",))
                  .filter(tenant=tenant, pk__in=sorted({source.pk, into.pk})).select_related("contact").order_by("pk")}
        if source.pk == into.pk:
            raise RecordError("a ticket cannot be merged into itself", field="into")
        source, into = locked[source.pk], locked[into.pk]
        if source.merged_into_id is not None:
            raise RecordError("this ticket was already merged into another", field="source")
        if into.merged_into_id is not None:
            raise RecordError("that ticket was itself merged into another: merge into that one", field="into")
        if source.contact.account_id != into.contact.account_id:
            raise RecordError("the tickets' customers belong to different accounts", field="into")
        who = (by.get_full_name() or by.get_username()) if by is not None else "the system"
        source.merged_into = into
        TicketStatusChange.objects.create(tenant=tenant, ticket=source, status=TicketStatus.CLOSED, changed_at=at,
                                          changed_by=by)
        recompute_status(tenant=tenant, ticket=source)
        source.next_response_due_at = None  # the clock runs on open tickets only
        _save_ticket(source)
        _health_inputs_changed(tenant, source.account_id)
        for ticket, body in ((source, f"Merged into ticket {into.external_id} by {who}."),
                             (into, f"Ticket {source.external_id} was merged into this one by {who}.")):
            Interaction.objects.create(
                tenant=tenant, ticket=ticket, external_id=f"merge:{source.pk}:{into.pk}:{ticket.pk}",
                channel=ticket.channel, direction=Direction.OUTBOUND, author_type=AuthorType.SYSTEM,
                is_internal=True, body=body, started_at=at)
    return source
