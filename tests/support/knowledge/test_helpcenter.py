"""The public help center: no login, tenant from the slug, only published articles, 404 otherwise."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from support.knowledge import services as knowledge_services
from support.models import Article, ArticleCategory

pytestmark = pytest.mark.django_db


def publish(world, title, body, *, published=True, category=None):
    with world.scope():
        return knowledge_services.save_article(tenant=world.tenant, article=Article(
            tenant=world.tenant, title=title, body_markdown=body, is_published=published, category=category))


@pytest.fixture
def site(worlds):
    a, b = worlds
    with a.scope():
        cat = ArticleCategory.objects.create(tenant=a.tenant, name="Account", slug="account")
    live = publish(a, "Reset your password", "Click <b>Forgot password</b><script>bad()</script>", category=cat)
    draft = publish(a, "Secret draft", "not yet", published=False, category=cat)
    with b.scope():
        b_cat = ArticleCategory.objects.create(tenant=b.tenant, name="Bravo only", slug="bravo-only")
    other = publish(b, "Bravo password reset", "bravo secret", category=b_cat)
    return a, b, cat, live, draft, other


def test_public_pages_need_no_login(site):
    a, _b, cat, live, _draft, _other = site
    client = Client()
    home = client.get(reverse("helpcenter-home", args=[a.tenant.slug]))
    assert home.status_code == 200 and b"Account" in home.content and b"Bravo" not in home.content
    page = client.get(reverse("helpcenter-category", args=[a.tenant.slug, cat.slug]))
    assert page.status_code == 200 and b"Reset your password" in page.content and b"Secret draft" not in page.content
    article = client.get(reverse("helpcenter-article", args=[a.tenant.slug, live.slug]))
    assert article.status_code == 200 and b"<b>Forgot password</b>" in article.content
    assert b"bad()" not in article.content


def test_search_box_finds_only_published_articles_of_the_tenant(site):
    a = site[0]
    response = Client().get(reverse("helpcenter-home", args=[a.tenant.slug]), {"q": "password reset"})
    assert response.status_code == 200
    assert b"Reset your password" in response.content
    assert b"Bravo" not in response.content and b"Secret draft" not in response.content


def test_unpublished_other_tenants_and_unknown_are_404(site):
    a, b, _cat, _live, draft, other = site
    client = Client()
    assert client.get(reverse("helpcenter-article", args=[a.tenant.slug, draft.slug])).status_code == 404
    assert client.get(reverse("helpcenter-article", args=[a.tenant.slug, other.slug])).status_code == 404
    assert client.get(reverse("helpcenter-category", args=[a.tenant.slug, "bravo-only"])).status_code == 404
    assert client.get(reverse("helpcenter-home", args=["no-such-tenant"])).status_code == 404
    assert client.get(reverse("helpcenter-article", args=[b.tenant.slug, other.slug])).status_code == 200
    assert client.post(reverse("helpcenter-home", args=[a.tenant.slug])).status_code == 405
