"""The support app's models, imported from its sub-domain packages (``support/records/models.py``,
``desk/``, ``knowledge/``, ``sla/``, ``qa/``, ``reports/``) so that the app label and tables stay put.

The definitions of every field follow METRICS.md "Interactions and tickets".
"""

from support.desk.models import Callback, Macro
from support.knowledge.models import Article, ArticleCategory, ArticleSuggestion
from support.qa.models import QaCriterion, QaReview, QaRubric, QaScore
from support.records.models import (
    LIVE_CHANNELS,
    Agent,
    AgentSession,
    AuthorType,
    Channel,
    ContactIdentity,
    ContactMerge,
    Direction,
    IdentityKind,
    Interaction,
    Priority,
    Team,
    TeamManager,
    Ticket,
    TicketAssignment,
    TicketOpenSpan,
    TicketStatus,
    TicketStatusChange,
)
from support.reports.models import SupportCost
from support.sla.models import BusinessCalendar, Holiday, SlaEvent, SlaPolicy

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
