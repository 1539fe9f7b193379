"""The public help center of a tenant, ``/help/<tenant>/``: no login and no membership check (it is
public), the tenant comes from the URL slug alone. Only published articles of that tenant exist here;
anything else (unpublished, another tenant's, missing) is the same 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.tenancy import tenant_scope
from support import knowledge_selectors as selectors
from support.knowledge_access import get_public_category, get_public_tenant, get_published_article


def public_tenant(view: Callable) -> Callable:
    """Resolve ``help_slug`` to the tenant and run the view inside its scope."""

    @wraps(view)
    def wrapper(request: HttpRequest, help_slug: str, **kwargs) -> HttpResponse:
        site = get_public_tenant(help_slug)
        with tenant_scope(site):
            response = view(request, site, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

    return wrapper


@require_GET
@public_tenant
def home(request: HttpRequest, site) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    results = selectors.public_search(tenant=site, q=q) if q else None
    return render(request, "helpcenter/home.html", {
        "site": site, "q": q, "results": results,
        "categories": selectors.public_categories(tenant=site),
        "uncategorized": selectors.public_articles(tenant=site).filter(category__isnull=True),
    })


@require_GET
@public_tenant
def category(request: HttpRequest, site, category_slug: str) -> HttpResponse:
    found = get_public_category(site, slug=category_slug)
    articles = list(selectors.public_articles(tenant=site, category=found))
    return render(request, "helpcenter/category.html", {"site": site, "category": found, "articles": articles})


@require_GET
@public_tenant
def article(request: HttpRequest, site, article_slug: str) -> HttpResponse:
    found = get_published_article(site, slug=article_slug)
    return render(request, "helpcenter/article.html", {"site": site, "article": found})
