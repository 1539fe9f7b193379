"""API key pages: admins only; the raw key is shown once; revoking refuses the key."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.models import ApiKey
from accounts.models.tenants import hash_api_key
from cs_platform.api.auth import ApiKeyAuthentication

pytestmark = pytest.mark.django_db


def authenticates(raw: str) -> bool:
    request = Request(RequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    try:
        return ApiKeyAuthentication().authenticate(request) is not None
    except exceptions.AuthenticationFailed:
        return False


def test_only_admins_manage_keys(world_a):
    a = world_a
    for membership in (a.csm, a.viewer):
        client = a.client_for(membership)
        assert client.get(reverse("apikey-list", args=[a.tenant.slug])).status_code == 403
        assert client.get(reverse("apikey-create", args=[a.tenant.slug])).status_code == 403
        assert client.post(reverse("apikey-revoke", args=[a.tenant.slug, a.api_key.pk])).status_code == 403
    a.api_key.refresh_from_db()
    assert a.api_key.revoked_at is None


def test_create_shows_the_raw_key_once(world_a):
    a = world_a
    client = a.client_for(a.admin)
    url = reverse("apikey-create", args=[a.tenant.slug])
    assert client.post(url, {"name": "CRM", "scopes": []}).context["form"].errors["scopes"]
    assert "scopes" in client.post(url, {"name": "CRM", "scopes": ["root"]}).context["form"].errors
    response = client.post(url, {"name": "CRM sync", "scopes": ["read", "write"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw = response.context["raw_key"]
    assert raw.startswith("csk_") and raw in response.content.decode()
    with a.scope():
        key = ApiKey.objects.get(name="CRM sync")
    assert key.key_hash == hash_api_key(raw) and key.scopes == ["read", "write"]
    # The list (and any later page) shows only the prefix.
    listing = client.get(reverse("apikey-list", args=[a.tenant.slug])).content.decode()
    assert "CRM sync" in listing and key.prefix in listing and raw not in listing
    assert authenticates(raw)


def test_revoke_is_post_only_and_refuses_the_key(world_a):
    a = world_a
    client = a.client_for(a.admin)
    url = reverse("apikey-revoke", args=[a.tenant.slug, a.api_key.pk])
    assert authenticates(a.raw_key)
    assert client.get(url).status_code == 405
    a.api_key.refresh_from_db()
    assert a.api_key.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("apikey-list", args=[a.tenant.slug])
    a.api_key.refresh_from_db()
    assert a.api_key.revoked_at is not None
    assert not authenticates(a.raw_key)
    assert "Revoked" in client.get(reverse("apikey-list", args=[a.tenant.slug])).content.decode()


def test_revoking_another_tenants_key_is_404(worlds):
    a, b = worlds
    response = a.client_for(a.admin).post(reverse("apikey-revoke", args=[a.tenant.slug, b.api_key.pk]))
    assert response.status_code == 404
    b.api_key.refresh_from_db()
    assert b.api_key.revoked_at is None
