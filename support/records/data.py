"""Typed inputs of the ticket services (support.records.services.tickets) and their domain rules.

Every door into the records (the integration API, the desk pages, the knowledge base's bot message, the
demo) builds one of these frozen dataclasses, and building one checks the domain rules: an instance that
exists is valid, so a service never sees input that breaks them and no rule is written twice. The DRF
serializers (support.records.inputs) only parse fields: types, lengths, formats, enum choices. A broken
rule raises :class:`InputError`, which names every field at fault (the API answers it as its 400).

What only the database knows (an unknown agent, account or contact; an external id used elsewhere) the
services check and raise as :class:`RecordError`, which ``InputError`` specializes, so one ``except``
catches both.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from cs_platform import bounds
from support.models import LIVE_CHANNELS, AuthorType, Channel, Direction, IdentityKind, Priority, TicketStatus
from support.records.models import MAX_TAG, MAX_TAGS


class RecordError(ValueError):
    """Bad input to the records services; ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def detail(self) -> dict[str, list[str]]:
        """The messages by field (None = not one field), as a DRF ``ValidationError`` takes them."""
        return {self.field or "non_field_errors": [str(self)]}

    def as_errors(self) -> list[dict[str, Any]]:
        return [{"field": None if field == "non_field_errors" else field, "message": message}
                for field, messages in self.detail().items() for message in messages]


class InputError(RecordError):
    """Input that breaks a domain rule: every message by field, in the order the rules run. ``field`` and
    the message are the first of them (for callers that show one)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=field)
        self.errors = errors

    def detail(self) -> dict[str, list[str]]:
        return {field: list(messages) for field, messages in self.errors.items()}


class Unset(enum.Enum):
    """A field the caller did not give: on an update it keeps the stored value (None or "" clears it)."""

    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def _choices(errors: dict[str, list[str]], *checks: tuple[str, Any, Iterable[str]]) -> None:
    # The API's ChoiceFields refuse these first, with DRF's message; this guards the other doors.
    for name, value, allowed in checks:
        if value is not UNSET and value not in allowed:
            errors[name] = [f"not a valid {name}"]


def _times(errors: dict[str, list[str]], *checks: tuple[str, Any]) -> None:
    # The API's OffsetDateTimeField refuses these first; this guards the other doors (cs_platform.bounds).
    for name, value in checks:
        if isinstance(value, dt.datetime) and value.utcoffset() is not None and name not in errors:
            message = bounds.time_error(value)
            if message:
                errors[name] = [message]


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise InputError(errors)


def normalize_tags(tags: Iterable[str]) -> tuple[list[str], str]:
    """Tags trimmed and lower-cased (the CSAT skip rules compare them so), blanks and repeats dropped, in
    the order given; with the first broken rule's message ("" when none)."""
    clean: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            return [], "each tag is a string"
        tag = tag.strip().lower()
        if "\x00" in tag:
            return [], "a tag cannot contain NUL characters"
        if len(tag) > MAX_TAG:
            return [], f"each tag has at most {MAX_TAG} characters"
        if tag and tag not in clean:
            clean.append(tag)
    if len(clean) > MAX_TAGS:
        return [], f"at most {MAX_TAGS} tags"
    return clean, ""


IDENTITY_FIELDS = ((IdentityKind.EMAIL, "contact_email"), (IdentityKind.PHONE, "contact_phone"),
                   (IdentityKind.SOCIAL, "contact_social"))


@dataclass(frozen=True, kw_only=True)
class TicketData:
    """``upsert_ticket``: a ticket by ``external_id``. On an update only the fields given (not UNSET)
    change; a new ticket needs ``channel`` and a contact (``contact``, or an identity to match)."""

    external_id: str
    account: str | None | Unset = UNSET  # the account's external_id; None or "" = none
    contact: str = ""  # the contact's external_id
    contact_email: str = ""  # identities (normalized) matching or creating the contact
    contact_phone: str = ""
    contact_social: str = ""
    contact_name: str = ""  # name of a contact created from an unknown identity
    channel: str | Unset = UNSET
    subject: str | Unset = UNSET
    priority: str | Unset = UNSET
    created_at: dt.datetime | Unset = UNSET
    assignee: str | Unset = UNSET  # an agent's email; "" = unassigned
    team: str | Unset = UNSET  # a team name (created if new); "" = no team
    tags: list[str] | Unset = UNSET  # replaces the ticket's tags; [] = none

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        _choices(errors, ("channel", self.channel, Channel.values), ("priority", self.priority, Priority.values))
        _times(errors, ("created_at", self.created_at))
        if self.tags is not UNSET:
            tags, message = normalize_tags(self.tags)
            if message:
                errors["tags"] = [message]
            object.__setattr__(self, "tags", tags)  # frozen: set once, while building
        _raise_if(errors)

    @property
    def identities(self) -> list[tuple[str, str]]:
        """The identities given, as (kind, value)."""
        return [(kind, getattr(self, name)) for kind, name in IDENTITY_FIELDS if getattr(self, name)]

    @property
    def names_contact(self) -> bool:
        return bool(self.contact or self.identities)


@dataclass(frozen=True, kw_only=True)
class InteractionData:
    """``append_interaction``: one interaction by ``external_id``.

    Rules: the contact writes inbound; inbound is written by the contact or the system; contacts write
    no internal notes; ``queued_at`` / ``answered_at`` / ``ended_at`` belong to live channels (chat,
    phone); a live inbound interaction starts when it is queued (METRICS.md), so ``started_at`` and
    ``queued_at`` are one time and either may be given; ``started_at`` is required otherwise; answered
    not before it started, ended not before it was answered (or started).
    """

    external_id: str
    channel: str
    direction: str
    author_type: str
    agent: str = ""  # an agent's email: the author, or who answered a live inbound one
    is_internal: bool = False
    body: str = ""
    started_at: dt.datetime | None = None  # always set once built
    queued_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None  # null on a live one = abandoned
    ended_at: dt.datetime | None = None
    handle_seconds: float | None = None
    queue_team: str = ""  # the team of the queue a live interaction waited in

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        _choices(errors, ("channel", self.channel, Channel.values), ("direction", self.direction, Direction.values),
                 ("author_type", self.author_type, AuthorType.values))
        _times(errors, ("started_at", self.started_at), ("queued_at", self.queued_at),
               ("answered_at", self.answered_at), ("ended_at", self.ended_at))
        _raise_if(errors)
        live = self.channel in LIVE_CHANNELS
        inbound = self.direction == Direction.INBOUND
        if self.author_type == AuthorType.CONTACT and not inbound:
            errors["direction"] = ["an interaction authored by the contact is inbound"]
        if inbound and self.author_type not in (AuthorType.CONTACT, AuthorType.SYSTEM):
            errors["author_type"] = ["an inbound interaction is authored by the contact (or the system)"]
        if self.is_internal and self.author_type == AuthorType.CONTACT:
            errors["is_internal"] = ["internal notes are written by agents, not contacts"]
        if not live:
            for name in ("queued_at", "answered_at", "ended_at"):
                if getattr(self, name) is not None:
                    errors[name] = ["only for live channels (chat, phone)"]
        started, queued = self.started_at, self.queued_at
        if live and inbound and queued is not None:
            if started is None:
                started = queued
            elif started != queued:
                errors["started_at"] = ["must equal queued_at for a live inbound interaction (or be omitted)"]
        if live and inbound and queued is None and started is not None:
            queued = started
        if started is None and "started_at" not in errors:
            errors["started_at"] = ["This field is required."]
        answered, ended = self.answered_at, self.ended_at
        start = queued or started
        if answered is not None and start is not None and answered < start:
            errors["answered_at"] = ["must not be before queued_at/started_at"]
        if ended is not None and (answered or start) is not None and ended < (answered or start):
            errors["ended_at"] = ["must not be before answered_at (or started_at)"]
        _raise_if(errors)
        object.__setattr__(self, "started_at", started)  # frozen: set once, while building
        object.__setattr__(self, "queued_at", queued)


@dataclass(frozen=True, kw_only=True)
class StatusData:
    """``change_status``: a status row at ``changed_at`` (None = now; historical times are welcome) and,
    when ``assignee`` is given, an assignment at the same time."""

    status: str
    changed_at: dt.datetime | None = None
    agent: str = ""  # the email of the agent who made the change
    assignee: str | Unset = UNSET  # an agent's email; "" = unassign

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        _choices(errors, ("status", self.status, TicketStatus.values))
        _times(errors, ("changed_at", self.changed_at))
        _raise_if(errors)
