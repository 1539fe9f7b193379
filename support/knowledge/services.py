"""Knowledge base writes: articles (markdown rendered and sanitized, search vector maintained),
categories, query qualification of new inbound tickets, and deflection.

Decisions (the README's "Support desk" section repeats them):

- **Rendering**: ``markdown`` (extensions ``extra``, ``sane_lists``) then ``nh3`` with an allow-list of
  tags and attributes: ``<script>``/``<style>`` are dropped with their content, every ``on*`` attribute
  and any ``style`` attribute go, links keep only http(s)/mailto URLs (``javascript:`` and ``data:`` are
  removed) and get ``rel="noopener noreferrer nofollow"``. Only ``body_html`` is ever shown.
- **Search config** ``english`` (stemming and stop words), the same for every tenant, so the stored
  ``search_vector`` and each query always agree: title weighted A, markdown body weighted B.
- **Qualification query**: subject + first inbound contact body, split into words and joined with
  ``or`` for ``websearch_to_tsquery`` (which would otherwise AND every word of a customer's sentence
  and match nothing); ``ts_rank_cd`` (cover density, which rewards several matched words close together)
  with normalization 32 (``rank / (rank + 1)``), so ranks fall in [0, 1) and a threshold is comparable
  across article lengths. The top 3 published articles of the ticket's tenant are stored.
- **A real overlap**: qualification leaves out, besides PostgreSQL's stop words, the words any support
  question may contain whatever its topic (:data:`GENERIC_WORDS`: "error", "problem", "minutes", "many",
  "help", ...), so an article is suggested only when it shares a word of substance with the question
  ("API returns 429 Too Many Requests ... 429 errors ... after a few minutes" once matched "Fix single
  sign-on (SSO) login errors" on "errors" and "minutes" alone, at rank 0.64). The public help-center
  search keeps them: there a person typed "error" on purpose.
- **Threshold** ``Tenant.settings["kb_suggest_threshold"]``, default 0.2 (:data:`DEFAULT_THRESHOLD`);
  ``Tenant.settings["kb_send_suggestions"]`` (default false) also sends the articles at or above it to
  the customer: ``sent_to_customer_at`` is recorded and an outbound public ``bot`` interaction with their
  titles and help-center links is appended to the ticket (:func:`send_suggestions`).
- **When**: the ticket's first public interaction must be the contact's inbound message (the question);
  a ticket with no interaction yet is qualified when its first inbound message is appended.
- **Deflection** (``deflected``): decided once the 7 days after sending have passed: True when the
  contact did not come back within them: no public inbound contact interaction on the ticket and no new
  ticket from the same contact, started in ``(sent_to_customer_at, sent_to_customer_at + 7 days]``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import markdown
import nh3
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Tenant
from learning.tickets import services as learning_tickets
from support.models import (
    Article,
    ArticleCategory,
    ArticleSuggestion,
    AuthorType,
    Direction,
    Interaction,
    Ticket,
)
from support.records.data import InteractionData
from support.records.services.tickets import append_interaction

SEARCH_CONFIG = "english"


DEFAULT_THRESHOLD = 0.2


RANK_NORMALIZATION = 32  # rank / (rank + 1)


SUGGESTIONS = 3


DEFLECTION_WINDOW = dt.timedelta(days=7)


MAX_QUERY_WORDS = 64


# Words of a support question that say nothing of its topic (module docstring, "A real overlap"): every
# form of each, as customers write them, since the filter runs before PostgreSQL's stemming.
GENERIC_WORDS = frozenset({
    "error", "errors", "erroring", "issue", "issues", "problem", "problems", "fix", "fixed", "fixes", "fixing",
    "help", "helps", "helping", "please", "thanks", "thank", "hi", "hello", "hey", "regards", "minute", "minutes",
    "hour", "hours", "day", "days", "week", "weeks", "time", "times", "today", "yesterday", "morning", "tonight",
    "since", "still", "get", "gets", "got", "getting", "work", "works", "worked", "working", "fail", "fails",
    "failed", "failing", "failure", "wrong", "broken", "try", "tried", "trying", "need", "needs", "needed", "want",
    "wants", "use", "uses", "used", "using", "way", "ways", "question", "questions", "able", "anyone", "everyone",
    "someone", "something", "anything", "everything", "many", "much", "lot", "lots", "keep", "keeps", "kept",
    "sure", "ok", "okay", "thing", "things", "seem", "seems", "go", "goes", "going", "went", "come", "comes",
    "know", "see", "take", "takes", "took", "taking",
})


ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}


ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "*": {"id", "class"},
}


URL_SCHEMES = {"http", "https", "mailto"}


class KnowledgeError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def render_markdown(text: str, *, image_src: re.Pattern | None = None) -> str:
    """Markdown to HTML that is safe to show (module docstring). With ``image_src``, an image keeps its
    ``src`` only when the whole value matches it (a pattern of this site's own paths, e.g. the learning
    app's lesson images): lessons are shown to learners and mailed, so an image from anywhere else (a
    tracking pixel, another tenant's upload, ``../`` to some other page) loses its source and shows its alt
    text instead."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    attribute_filter = None
    if image_src is not None:
        def attribute_filter(tag: str, name: str, value: str) -> str | None:
            if tag == "img" and name == "src" and not image_src.fullmatch(value):
                return None
            return value

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer nofollow", strip_comments=True, attribute_filter=attribute_filter)


def article_search_vector() -> SearchVector:
    return (SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("body_markdown", weight="B", config=SEARCH_CONFIG))


def unique_slug(model, tenant: Tenant, wanted: str, exclude_pk: int | None, *, fallback: str = "article") -> str:
    """``wanted`` slugified, with ``-2``, ``-3``... until no other row of ``model`` in the tenant has it."""
    base = slugify(wanted)[:90] or fallback
    taken = set(model.objects.filter(tenant=tenant, slug__startswith=base).exclude(pk=exclude_pk)
                .values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_article(*, tenant: Tenant, article: Article) -> Article:
    """Create or update an article: slug (from the title when blank, unique in the tenant), sanitized
    HTML and the search vector, in one transaction."""
    if not article.title.strip():
        raise KnowledgeError("This field is required.", field="title")
    if article.category_id and article.category.tenant_id != tenant.pk:
        raise KnowledgeError("No such category.", field="category")
    with transaction.atomic():
        article.tenant = tenant
        article.slug = article.slug or unique_slug(Article, tenant, article.title, article.pk)
        article.body_html = render_markdown(article.body_markdown)
        article.save()
        Article.objects.filter(tenant=tenant, pk=article.pk).update(search_vector=article_search_vector())
    return article


def set_published(*, tenant: Tenant, article: Article, published: bool) -> Article:
    Article.objects.filter(tenant=tenant, pk=article.pk).update(is_published=published, updated_at=timezone.now())
    article.is_published = published
    return article


def delete_article(*, tenant: Tenant, article: Article) -> None:
    Article.objects.filter(tenant=tenant, pk=article.pk).delete()


def save_category(*, tenant: Tenant, category: ArticleCategory) -> ArticleCategory:
    with transaction.atomic():
        category.tenant = tenant
        category.slug = category.slug or unique_slug(ArticleCategory, tenant, category.name, category.pk)
        category.save()
    return category


def delete_category(*, tenant: Tenant, category: ArticleCategory) -> None:
    """Its articles stay, uncategorized (the FK is SET_NULL)."""
    ArticleCategory.objects.filter(tenant=tenant, pk=category.pk).delete()


def threshold_for(tenant: Tenant) -> float:
    try:
        return float((tenant.settings or {}).get("kb_suggest_threshold", DEFAULT_THRESHOLD))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def question_query(text: str, *, skip: frozenset[str] = frozenset()) -> SearchQuery | None:
    """The words of ``text`` (but those in ``skip``) OR-ed for websearch_to_tsquery (module docstring);
    None when no word."""
    words = []
    for word in re.findall(r"\w+", (text or "").lower()):
        if word != "or" and word not in skip and word not in words:
            words.append(word)
    if not words:
        return None
    return SearchQuery(" or ".join(words[:MAX_QUERY_WORDS]), search_type="websearch", config=SEARCH_CONFIG)


def rank_articles(*, tenant: Tenant, text: str, limit: int = SUGGESTIONS,
                  skip: frozenset[str] = frozenset()) -> list[Article]:
    """Published articles of ``tenant`` matching ``text`` (its words but ``skip``), best first, each with
    ``.rank``."""
    query = question_query(text, skip=skip)
    if query is None:
        return []
    return list(
        Article.objects.filter(tenant=tenant, is_published=True, search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query, cover_density=True, normalization=RANK_NORMALIZATION))
        .order_by("-rank", "pk")[:limit]
    )


def first_public_interaction(ticket: Ticket) -> Interaction | None:
    return (
        Interaction.objects.filter(tenant_id=ticket.tenant_id, ticket=ticket, is_internal=False)
        .order_by("started_at", "id").first()
    )


def qualify_ticket(*, ticket: Ticket, now: dt.datetime | None = None) -> list[ArticleSuggestion]:
    """Rank the tenant's published articles for a new inbound ticket and store the top 3 as suggestions;
    at or above the tenant's threshold mark it ``self_service_suggested`` and, if the tenant says so,
    send them. Runs once per ticket: a ticket that has suggestions keeps them. A ticket whose first
    interaction is outbound (opened by an agent) is not a customer's question and is not qualified."""
    tenant = ticket.tenant
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("tenant").get(
            tenant=tenant, pk=ticket.pk)
        existing = list(ArticleSuggestion.objects.filter(tenant=tenant, ticket=ticket).order_by("-rank"))
        if existing:
            return existing
        first = first_public_interaction(ticket)
        if first is None:
            return []  # no question yet: appending the first inbound message qualifies it (records.py)
        if not (first.direction == Direction.INBOUND and first.author_type == AuthorType.CONTACT):
            return []
        text = " ".join(filter(None, [ticket.subject, first.body]))
        articles = rank_articles(tenant=tenant, text=text, skip=GENERIC_WORDS)
        threshold = threshold_for(tenant)
        send = bool((tenant.settings or {}).get("kb_send_suggestions")) and bool(articles)
        suggestions = ArticleSuggestion.objects.bulk_create([
            ArticleSuggestion(
                tenant=tenant, ticket=ticket, article=a, rank=a.rank,
                sent_to_customer_at=now if send and a.rank >= threshold else None,
            )
            for a in articles
        ])
        if articles and articles[0].rank >= threshold:
            Ticket.objects.filter(tenant=tenant, pk=ticket.pk).update(self_service_suggested=True, updated_at=now)
            ticket.self_service_suggested = True
            if send:
                send_suggestions(tenant=tenant, ticket=ticket, articles=[a for a in articles if a.rank >= threshold],
                                 sent_at=now)
    return suggestions


def help_center_url(tenant: Tenant, article: Article) -> str:
    """The article's public help-center URL: ``Tenant.settings["public_base_url"]`` (else the
    ``PUBLIC_BASE_URL`` setting) + its path; just the path when neither is set."""
    base = (tenant.settings or {}).get("public_base_url") or getattr(settings, "PUBLIC_BASE_URL", "")
    path = reverse("helpcenter-article", kwargs={"help_slug": tenant.slug, "article_slug": article.slug})
    return f"{str(base).rstrip('/')}{path}"


def suggestions_message(*, tenant: Tenant, articles: list[Article], extra: Sequence[str] = ()) -> str:
    """The reply; ``extra`` lines (the learning paths that cover the articles) follow the articles."""
    lines = ["These articles from our help center may answer your question:", ""]
    lines += [f"- {a.title}: {help_center_url(tenant, a)}" for a in articles]
    if extra:
        lines += ["", *extra]
    lines += ["", "If they do not, just reply: an agent will answer you."]
    return "\n".join(lines)


def suggestions_external_id(ticket: Ticket) -> str:
    return f"kb-suggestions-{ticket.pk}"


def send_suggestions(*, tenant: Tenant, ticket: Ticket, articles: list[Article], sent_at: dt.datetime) -> bool:
    """Record the sending as an outbound public ``bot`` interaction on the ticket's channel (the channel
    integration delivers it); its external_id is derived from the ticket, so a re-run never sends twice.
    A bot message is not a first response (METRICS.md counts agents only). Returns False if already sent.

    Support to learning (issue 13) hooks in here, where the articles reach the customer: the paths covering
    them add their recommendation to the message or enroll the contact after commit
    (learning.tickets.services.articles_sent, which never fails this write)."""
    external_id = suggestions_external_id(ticket)
    if Interaction.objects.filter(tenant=tenant, external_id=external_id).exists():
        return False
    extra = learning_tickets.articles_sent(tenant=tenant, contact_id=ticket.contact_id,
                                           article_ids=[a.pk for a in articles])
    append_interaction(tenant=tenant, ticket=ticket, data=InteractionData(
        external_id=external_id, channel=ticket.channel, direction=Direction.OUTBOUND,
        author_type=AuthorType.BOT, is_internal=False, started_at=sent_at,
        body=suggestions_message(tenant=tenant, articles=articles, extra=extra),
    ))
    return True


def came_back() -> Q:
    """For an ArticleSuggestion row: its contact came back within the window after ``sent_to_customer_at``."""
    sent = OuterRef("sent_to_customer_at")
    window_end = ExpressionWrapper(sent + Value(DEFLECTION_WINDOW), output_field=DateTimeField())
    same_ticket = Interaction.objects.filter(
        tenant_id=OuterRef("tenant_id"), ticket_id=OuterRef("ticket_id"), direction=Direction.INBOUND,
        author_type=AuthorType.CONTACT, is_internal=False, started_at__gt=sent, started_at__lte=window_end,
    )
    new_ticket = Ticket.objects.filter(
        tenant_id=OuterRef("tenant_id"), contact_id=OuterRef("ticket__contact_id"),
        created_at__gt=sent, created_at__lte=window_end,
    ).exclude(pk=OuterRef("ticket_id"))
    return Q(Exists(same_ticket)) | Q(Exists(new_ticket))


def decide_deflections(*, tenant: Tenant, now: dt.datetime | None = None) -> tuple[int, int]:
    """Settle ``deflected`` for suggestions sent at least 7 days ago and not yet settled: two UPDATEs.
    Returns (deflected, not deflected)."""
    now = now or timezone.now()
    due = ArticleSuggestion.objects.filter(tenant=tenant, sent_to_customer_at__lte=now - DEFLECTION_WINDOW,
                                           deflected__isnull=True)
    returned = came_back()
    with transaction.atomic():
        not_deflected = due.filter(returned).update(deflected=False)
        deflected = due.filter(~returned).update(deflected=True)
    return deflected, not_deflected
