"""Knowledge base: categories and articles (markdown, sanitized), and the suggestions that query
qualification makes for new inbound tickets."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from accounts.tenancy import TenantOwnedModel


class ArticleCategory(TenantOwnedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "article categories"
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="support_category_unique_slug")]

    def __str__(self) -> str:
        return self.name


class Article(TenantOwnedModel):
    """``body_markdown`` is what writers edit; ``body_html`` is its sanitized rendering, the only form
    ever shown. ``search_vector`` is maintained by the service that saves the article."""

    category = models.ForeignKey(ArticleCategory, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="articles")
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200)
    body_markdown = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    is_published = models.BooleanField(default=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="support_article_unique_slug")]
        indexes = [GinIndex(fields=["search_vector"], name="support_article_search")]

    def __str__(self) -> str:
        return self.title


class ArticleSuggestion(TenantOwnedModel):
    """An article that query qualification ranked for a ticket. ``deflected`` is set only when the
    customer did not come back within the deflection window (7 days) after it was sent."""

    ticket = models.ForeignKey("support.Ticket", on_delete=models.CASCADE, related_name="suggestions")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    rank = models.FloatField()
    sent_to_customer_at = models.DateTimeField(null=True, blank=True)
    deflected = models.BooleanField(null=True, blank=True, help_text="null until the 7-day window has passed")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ticket", "article"], name="support_suggestion_unique"),
        ]
