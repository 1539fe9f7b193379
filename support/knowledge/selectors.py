"""Knowledge-base reads for the writers' pages, the public help center and the ticket page.

"Frequent questions without an article" (for writers): recent inbound tickets (created in the last
``days``, with at least one public inbound contact interaction) that have no suggestion ranked at or
above the tenant's current threshold, grouped in SQL by their **normalized subject**: lower-cased,
leading reply/forward prefixes (``re:``, ``fw:``, ``fwd:``, ``aw:``, ``tr:``, repeated) removed, every
run of digits replaced by ``#`` (order numbers, dates), every run of other non-alphanumeric characters
collapsed to one space, trimmed; empty subjects are left out; each group links its latest ticket by
that ticket's own subject (an id means nothing to a writer). Next to them the most frequent **terms**
of the same tickets' subjects: the ``english`` lexemes of ``to_tsvector`` (stemmed, stop words gone),
counted once per ticket, and shown as the subjects' own word, the most frequent one of that stem
("missing", not the lexeme "miss"): lexemes are an index's spelling, not a person's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, Func, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from accounts.models import Tenant
from support.knowledge.services import SEARCH_CONFIG, question_query, rank_articles, threshold_for
from support.models import (
    Article,
    ArticleCategory,
    ArticleSuggestion,
    AuthorType,
    Direction,
    Interaction,
    Ticket,
)


def article_list(*, tenant: Tenant, q: str = "", category: ArticleCategory | None = None,
                 status: str = "") -> QuerySet:
    articles = Article.objects.filter(tenant=tenant).select_related("category").order_by("-updated_at", "-pk")
    if q:
        query = question_query(q)
        articles = articles.filter(Q(title__icontains=q) | (Q(search_vector=query) if query else Q(pk__in=[])))
    if category is not None:
        articles = articles.filter(category=category)
    if status in ("published", "draft"):
        articles = articles.filter(is_published=status == "published")
    return articles.defer("body_markdown", "body_html", "search_vector")


def category_list(*, tenant: Tenant) -> QuerySet:
    return (
        ArticleCategory.objects.filter(tenant=tenant)
        .annotate(article_count=Count("articles"),
                  published_count=Count("articles", filter=Q(articles__is_published=True)))
        .order_by("position", "name")
    )


def public_categories(*, tenant: Tenant) -> QuerySet:
    return category_list(tenant=tenant).filter(published_count__gt=0)


def public_articles(*, tenant: Tenant, category: ArticleCategory | None = None,
                    uncategorized: bool = False) -> QuerySet:
    """Published articles: of ``category``, or with none (``uncategorized``), or all."""
    articles = Article.objects.filter(tenant=tenant, is_published=True).order_by("title", "pk")
    if category is not None:
        articles = articles.filter(category=category)
    elif uncategorized:
        articles = articles.filter(category__isnull=True)
    return articles.only("title", "slug", "category_id", "updated_at")


def public_search(*, tenant: Tenant, q: str, limit: int = 20) -> list[Article]:
    return rank_articles(tenant=tenant, text=q, limit=limit)


def ticket_suggestions(*, tenant: Tenant, ticket: Ticket) -> QuerySet:
    """The ticket's suggested articles, best first (for the ticket page)."""
    return (
        ArticleSuggestion.objects.filter(tenant=tenant, ticket=ticket)
        .select_related("article").order_by("-rank", "pk")
    )


@dataclass(frozen=True)
class FrequentQuestion:
    subject: str
    tickets: int
    latest_ticket_id: int
    latest_ticket_subject: str


def _regexp_replace(expression, pattern: str, replacement: str, flags: str = "") -> Func:
    args = [expression, Value(pattern), Value(replacement)] + ([Value(flags)] if flags else [])
    return Func(*args, function="regexp_replace")


def normalized_subject() -> Func:
    text = _regexp_replace(Lower("subject"), r"^\s*((re|fwd?|aw|tr)\s*:\s*)+", "")
    text = _regexp_replace(text, r"#?[0-9]+", "#", "g")
    return Trim(_regexp_replace(text, r"[^[:alnum:]#]+", " ", "g"))


def unanswered_inbound_tickets(*, tenant: Tenant, days: int = 30, now: dt.datetime | None = None) -> QuerySet:
    since = (now or timezone.now()) - dt.timedelta(days=days)
    inbound = Interaction.objects.filter(tenant=tenant, ticket=OuterRef("pk"), direction=Direction.INBOUND,
                                         author_type=AuthorType.CONTACT, is_internal=False)
    good = ArticleSuggestion.objects.filter(tenant=tenant, ticket=OuterRef("pk"), rank__gte=threshold_for(tenant))
    return Ticket.objects.filter(tenant=tenant, created_at__gte=since).filter(Exists(inbound), ~Exists(good))


def frequent_questions(*, tenant: Tenant, days: int = 30, limit: int = 25,
                       now: dt.datetime | None = None) -> list[FrequentQuestion]:
    rows = (
        unanswered_inbound_tickets(tenant=tenant, days=days, now=now)
        .annotate(norm=normalized_subject()).exclude(norm="")
        .values("norm").annotate(tickets=Count("pk"), latest=Max("pk"))
        .order_by("-tickets", "norm")[:limit]
    )
    rows = list(rows)
    subjects = dict(Ticket.objects.filter(tenant=tenant, pk__in=[r["latest"] for r in rows])
                    .values_list("pk", "subject"))
    return [FrequentQuestion(r["norm"], r["tickets"], r["latest"], subjects.get(r["latest"], "")) for r in rows]


def frequent_terms(*, tenant: Tenant, days: int = 30, limit: int = 25,
                   now: dt.datetime | None = None) -> list[tuple[str, int]]:
    tickets_sql, params = (
        unanswered_inbound_tickets(tenant=tenant, days=days, now=now).values("pk").query.sql_with_params()
    )
    # Each subject word with its lexeme, so a stem is counted once per ticket but shown as a word.
    sql = f"""
        WITH words AS (
            SELECT DISTINCT t.id AS ticket_id, w.word, lex.lexeme
            FROM support_ticket t
            CROSS JOIN LATERAL regexp_split_to_table(lower(t.subject), '[^[:alnum:]]+') AS w(word)
            CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector(%s::regconfig, w.word))) AS lex(lexeme)
            WHERE t.tenant_id = %s AND t.id IN ({tickets_sql})
        )
        SELECT mode() WITHIN GROUP (ORDER BY word) AS shown, count(DISTINCT ticket_id) AS tickets
        FROM words GROUP BY lexeme ORDER BY tickets DESC, shown LIMIT %s
    """  # noqa: S608 - the only interpolation is the ORM's own compiled subquery; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [SEARCH_CONFIG, tenant.pk, *params, limit])
        return [(term, count) for term, count in cursor.fetchall()]
