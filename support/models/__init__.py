"""Support desk records (issue 4): agents and presence, identities, tickets and interactions.

Other support features (inbox, macros, callbacks, knowledge base, SLA, metrics) build on these; the
definitions of every field follow ../shared/METRICS.md "Interactions and tickets".
"""

from support.models.agents import Agent, AgentSession, Team, TeamManager
from support.models.desk import Callback, Macro
from support.models.identities import ContactIdentity, ContactMerge, IdentityKind
from support.models.knowledge import Article, ArticleCategory, ArticleSuggestion
from support.models.quality import QaCriterion, QaReview, QaRubric, QaScore, SupportCost
from support.models.sla import BusinessCalendar, Holiday, SlaEvent, SlaPolicy
from support.models.tickets import (
    LIVE_CHANNELS,
    AuthorType,
    Channel,
    Direction,
    Interaction,
    Priority,
    Ticket,
    TicketAssignment,
    TicketOpenSpan,
    TicketStatus,
    TicketStatusChange,
)

__all__ = [
    "LIVE_CHANNELS",
    "Agent",
    "Article",
    "ArticleCategory",
    "ArticleSuggestion",
    "BusinessCalendar",
    "Callback",
    "Holiday",
    "Macro",
    "QaCriterion",
    "QaReview",
    "QaRubric",
    "QaScore",
    "SupportCost",
    "SlaEvent",
    "SlaPolicy",
    "AgentSession",
    "AuthorType",
    "Channel",
    "ContactIdentity",
    "ContactMerge",
    "Direction",
    "IdentityKind",
    "Interaction",
    "Priority",
    "Team",
    "TeamManager",
    "Ticket",
    "TicketAssignment",
    "TicketStatus",
    "TicketOpenSpan",
    "TicketStatusChange",
]
