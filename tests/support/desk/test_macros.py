"""Macros: safe placeholder rendering (escaped, never a template), pages, picker, usage counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Contact
from support.desk.macros import MacroContext, render_macro_html, render_macro_text, unknown_placeholders
from support.models import Macro
from tests.support.desk_helpers import add_interaction, ago, build_agents, make_ticket

pytestmark = pytest.mark.django_db


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _ctx(name="Ada Lovelace"):
    return MacroContext.build(contact=_Obj(name=name), ticket=_Obj(subject="Sync <fails>", external_id="T-9"),
                              agent=_Obj(name="Ana", email="ana@x"), account=_Obj(name="Acme & Co"))


def test_every_placeholder_is_substituted():
    body = ("Hi {{ contact.first_name }} ({{contact.name}}), about {{ ticket.subject }} [{{ ticket.external_id }}] "
            "for {{ account.name }}. {{ agent.name }}")
    assert render_macro_text(body, _ctx()) == "Hi Ada (Ada Lovelace), about Sync <fails> [T-9] for Acme & Co. Ana"


def test_html_rendering_escapes_values_and_body():
    html = render_macro_html("<i>Hi</i> {{ contact.name }}\nbye", _ctx(name="<script>alert(1)</script>"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.startswith("&lt;i&gt;Hi&lt;/i&gt;") and "<br>bye" in html


def test_template_code_is_never_evaluated():
    body = ("{% load static %}{% static 'x.css' %} {{ contact.account.tenant.slug }} {{ contact.name|upper }} "
            "{{ ticket.contact.email }} {% now 'Y' %} {{ contact.first_name }}")
    out = render_macro_text(body, _ctx())
    assert out == ("{% load static %}{% static 'x.css' %} {{ contact.account.tenant.slug }} {{ contact.name|upper }} "
                   "{{ ticket.contact.email }} {% now 'Y' %} Ada")
    assert unknown_placeholders(body) == ["contact.account.tenant.slug", "ticket.contact.email"]


def test_first_name_of_an_empty_name_is_empty():
    assert render_macro_text("Hi {{ contact.first_name }}!", _ctx(name="")) == "Hi !"


@pytest.fixture
def macro_world(world_a):
    a = world_a
    with a.scope():
        build_agents(a.tenant)
        contact = Contact.objects.get(external_id="user-0")
        contact.name = "<script>alert('x')</script> Doe"
        contact.save()
        ticket = make_ticket(a.tenant, "T-1", subject="Billing")
        add_interaction(a.tenant, ticket, "i-1", started_at=ago(5), body="help")
        body = "Hello {{ contact.name }}, re {{ ticket.subject }}. {{ contact.account.tenant.slug }}"
        macro = Macro.objects.create(tenant=a.tenant, name="Greeting", body=body)
    return {"world": a, "ticket": ticket, "macro": macro}


def test_macro_picker_fills_the_reply_box_escaped(macro_world):
    a = macro_world["world"]
    url = reverse("ticket-macro", args=[a.tenant.slug, macro_world["ticket"].pk])
    response = a.client_for().get(url, {"macro": macro_world["macro"].pk}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<textarea")
    assert "<script>" not in body
    assert "Hello &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Doe, re Billing." in body
    assert "{{ contact.account.tenant.slug }}" in body and a.tenant.slug + "<" not in body
    # Another tenant's (or a missing) macro is a 404.
    assert a.client_for().get(url, {"macro": 999999}).status_code == 404
    assert a.client_for().get(url, {"macro": "x"}).status_code == 404
    assert a.client_for().get(url, {"macro": ""}).status_code == 204  # nothing to insert: the text stays


def test_reply_with_a_macro_counts_a_use(macro_world):
    a = macro_world["world"]
    url = reverse("ticket-reply", args=[a.tenant.slug, macro_world["ticket"].pk])
    for _ in range(2):
        a.client_for().post(url, {"kind": "reply", "channel": "email", "body": "Hello",
                                  "macro": macro_world["macro"].pk})
    a.client_for().post(url, {"kind": "reply", "channel": "email", "body": "No macro"})
    with a.scope():
        assert Macro.objects.get(pk=macro_world["macro"].pk).usage_count == 2
    # A reply refused by validation counts nothing.
    a.client_for().post(url, {"kind": "reply", "channel": "email", "body": "", "macro": macro_world["macro"].pk})
    with a.scope():
        assert Macro.objects.get(pk=macro_world["macro"].pk).usage_count == 2


def test_macro_pages_create_edit_delete(world_a):
    a = world_a
    client = a.client_for()
    slug = a.tenant.slug
    response = client.post(reverse("macro-create", args=[slug]),
                           {"name": "Thanks", "body": "Thanks {{ contact.first_name }} {{ contact.nickname }}",
                            "is_active": "on"}, follow=True)
    body = response.content.decode()
    assert "Unknown placeholders" in body and "contact.nickname" in body  # saved, with a warning
    with a.scope():
        macro = Macro.objects.get(name="Thanks")
        assert macro.created_by == a.admin.user
    assert "Thanks" in client.get(reverse("macro-list", args=[slug])).content.decode()
    response = client.post(reverse("macro-edit", args=[slug, macro.pk]),
                           {"name": "Thanks!", "body": "Thanks {{ agent.name }}"}, follow=True)
    assert "Unknown placeholders" not in response.content.decode()
    with a.scope():
        macro.refresh_from_db()
        assert (macro.name, macro.is_active) == ("Thanks!", False)
    # Names are unique per tenant: a clear form error, not a 500.
    with a.scope():
        Macro.objects.create(tenant=a.tenant, name="Taken", body="x")
    response = client.post(reverse("macro-create", args=[slug]), {"name": "Taken", "body": "y"})
    assert response.status_code == 200 and "exists already" in response.content.decode()
    assert client.post(reverse("macro-delete", args=[slug, macro.pk])).status_code == 302
    with a.scope():
        assert not Macro.objects.filter(pk=macro.pk).exists()


def test_only_admins_and_managers_edit_macros(world_a):
    a = world_a
    slug = a.tenant.slug
    with a.scope():
        macro = Macro.objects.create(tenant=a.tenant, name="Keep", body="x")
    csm = a.client_for(a.csm)
    assert csm.get(reverse("macro-list", args=[slug])).status_code == 200
    assert csm.post(reverse("macro-create", args=[slug]), {"name": "N", "body": "b"}).status_code == 403
    assert csm.post(reverse("macro-delete", args=[slug, macro.pk])).status_code == 403
    with a.scope():
        assert list(Macro.objects.values_list("name", flat=True)) == ["Keep"]
