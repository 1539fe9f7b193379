"""Access helpers for knowledge-base and SLA objects (DESIGN.md rule 4): one tenant's object, or the
same 404. ``get_public_tenant`` serves the public help center, whose tenant is the URL's slug alone."""

from __future__ import annotations

from accounts.access import fetch_one, get_tenant_by_slug
from accounts.models import Tenant
from support.models import Article, ArticleCategory


def get_article_for_tenant(tenant: Tenant, *, pk: int) -> Article:
    return fetch_one(Article.objects.filter(tenant=tenant).select_related("category"), "article", pk=pk)


def get_articlecategory_for_tenant(tenant: Tenant, *, pk: int) -> ArticleCategory:
    return fetch_one(ArticleCategory.objects.filter(tenant=tenant), "category", pk=pk)


def get_public_tenant(slug: str) -> Tenant:
    """Public pages: the tenant named by the URL, no membership involved (the help center is public)."""
    return get_tenant_by_slug(slug=slug, what="help center")


def get_published_article(tenant: Tenant, *, slug: str) -> Article:
    """Unpublished and other tenants' articles are the same 404 as missing ones."""
    return fetch_one(Article.objects.filter(tenant=tenant, is_published=True).select_related("category"),
                     "article", slug=slug)


def get_public_category(tenant: Tenant, *, slug: str) -> ArticleCategory:
    return fetch_one(ArticleCategory.objects.filter(tenant=tenant), "category", slug=slug)
