"""Knowledge-base pages: the writers' pages under ``/t/<tenant>/kb/`` (articles, categories, frequent
questions without an article) and the public help center.

The public help center of a tenant, ``/help/<tenant>/``: no login and no membership check (it is
public), the tenant comes from the URL slug alone. Only published articles of that tenant exist here;
anything else (unpublished, another tenant's, missing) is the same 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import requires
from accounts.tenancy import tenant_scope
from cs_platform.web.pages import paginate, render_list
from support.knowledge import selectors, services
from support.knowledge.access import (
    get_article_for_tenant,
    get_articlecategory_for_tenant,
    get_public_category,
    get_public_tenant,
    get_published_article,
)
from support.knowledge.forms import ArticleForm, CategoryForm, FrequentQuestionsForm
from support.models import Article, ArticleCategory


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
        "uncategorized": selectors.public_articles(tenant=site, uncategorized=True),
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


@require_GET
@requires("kb.edit")
def article_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    q = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    categories = list(selectors.category_list(tenant=tenant))
    category = next((c for c in categories if str(c.pk) == request.GET.get("category")), None)
    page = paginate(request, selectors.article_list(tenant=tenant, q=q, category=category, status=status))
    return render_list(request, "support/kb/article_list.html", {
        "page": page, "q": q, "status": status, "categories": categories, "category": category,
    })


def _article_form(request: HttpRequest, article: Article) -> HttpResponse:
    tenant = request.tenant
    # Taken before the form is bound: an invalid form has already copied its values (a blank slug) onto
    # ``article``, and the link must be the stored article's (a blank slug broke the page: a 500).
    help_url = (reverse("helpcenter-article", kwargs={"help_slug": tenant.slug, "article_slug": article.slug})
                if article.pk and article.is_published else "")
    form = ArticleForm(request.POST or None, instance=article, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_article(tenant=tenant, article=form.instance)
        except services.KnowledgeError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, f"Article “{saved.title}” saved.")
            return redirect("kb-article-edit", tenant_slug=tenant.slug, article_pk=saved.pk)
    return render(request, "support/kb/article_form.html", {"form": form, "article": article, "help_url": help_url})


@require_http_methods(["GET", "POST"])
@requires("kb.edit")
def article_create(request: HttpRequest) -> HttpResponse:
    return _article_form(request, Article(tenant=request.tenant))


@require_http_methods(["GET", "POST"])
@requires("kb.edit")
def article_edit(request: HttpRequest, article_pk: int) -> HttpResponse:
    return _article_form(request, get_article_for_tenant(request.tenant, pk=article_pk))


@require_POST
@requires("kb.edit")
def article_publish(request: HttpRequest, article_pk: int) -> HttpResponse:
    article = get_article_for_tenant(request.tenant, pk=article_pk)
    published = request.POST.get("published") == "1"
    services.set_published(tenant=request.tenant, article=article, published=published)
    messages.success(request, f"“{article.title}” {'published' if published else 'unpublished'}.")
    return redirect("kb-article-edit", tenant_slug=request.tenant.slug, article_pk=article.pk)


@require_POST
@requires("kb.edit")
def article_delete(request: HttpRequest, article_pk: int) -> HttpResponse:
    article = get_article_for_tenant(request.tenant, pk=article_pk)
    services.delete_article(tenant=request.tenant, article=article)
    messages.success(request, f"“{article.title}” deleted.")
    return redirect("kb-article-list", tenant_slug=request.tenant.slug)


@require_http_methods(["GET", "POST"])
@requires("kb.edit")
def category_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = CategoryForm(request.POST or None, instance=ArticleCategory(tenant=tenant), tenant=tenant)
    if request.method == "POST" and form.is_valid():
        services.save_category(tenant=tenant, category=form.instance)
        messages.success(request, f"Category “{form.instance.name}” added.")
        return redirect("kb-category-list", tenant_slug=tenant.slug)
    return render(request, "support/kb/category_list.html",
                  {"categories": selectors.category_list(tenant=tenant), "form": form})


@require_http_methods(["GET", "POST"])
@requires("kb.edit")
def category_edit(request: HttpRequest, articlecategory_pk: int) -> HttpResponse:
    tenant = request.tenant
    category = get_articlecategory_for_tenant(tenant, pk=articlecategory_pk)
    form = CategoryForm(request.POST or None, instance=category, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        services.save_category(tenant=tenant, category=form.instance)
        messages.success(request, f"Category “{category.name}” saved.")
        return redirect("kb-category-list", tenant_slug=tenant.slug)
    return render(request, "support/kb/category_form.html", {"form": form, "category": category})


@require_POST
@requires("kb.edit")
def category_delete(request: HttpRequest, articlecategory_pk: int) -> HttpResponse:
    category = get_articlecategory_for_tenant(request.tenant, pk=articlecategory_pk)
    services.delete_category(tenant=request.tenant, category=category)
    messages.success(request, f"Category “{category.name}” deleted; its articles are uncategorized.")
    return redirect("kb-category-list", tenant_slug=request.tenant.slug)


@require_GET
@requires("kb.edit")
def frequent_questions(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = FrequentQuestionsForm(request.GET or None)
    days = form.days_value()
    return render(request, "support/kb/frequent_questions.html", {
        "form": form, "days": days, "threshold": services.threshold_for(tenant),
        "questions": selectors.frequent_questions(tenant=tenant, days=days),
        "terms": selectors.frequent_terms(tenant=tenant, days=days),
    })
