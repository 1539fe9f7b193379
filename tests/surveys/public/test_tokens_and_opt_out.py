"""Link tokens (entropy, hashing), the opt-out, the rate limits and the page's catalog of words."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from django.test import Client

from surveys.languages import SHIPPED
from surveys.models import SurveyResponse
from surveys.public.strings import CATALOG
from surveys.sending.models import Invitation, OptOut
from surveys.tokens import hash_token, looks_like_token, new_token
from tests.surveys.public.factory import make_link

pytestmark = pytest.mark.django_db


def test_tokens_are_22_url_safe_characters_of_128_random_bits_and_unique():
    tokens = [new_token()[0] for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens[:200]:
        assert len(token) == 22 and looks_like_token(token)
        assert len(base64.urlsafe_b64decode(token + "==")) == 16  # 128 bits
    # Every bit varies across tokens: no fixed prefix or padding hides less entropy than it claims.
    raw = [int.from_bytes(base64.urlsafe_b64decode(t + "=="), "big") for t in tokens]
    ones = [sum((value >> bit) & 1 for value in raw) for bit in range(128)]
    assert all(700 < count < 1300 for count in ones), ones


def test_the_token_is_stored_hashed_and_never_in_the_database(world_a):
    link = make_link(world_a, kind="csat")
    Client().post(link.url, {"score": "5", "comment": "fine"})
    Client().post(link.opt_out_url, {"source": "page"})
    with world_a.scope():
        invitation = Invitation.objects.get(pk=link.invitation.pk)
        assert invitation.token_hash == hashlib.sha256(link.token.encode()).hexdigest() == hash_token(link.token)
        rows = [list(Invitation.objects.values()), list(SurveyResponse.objects.values()),
                list(OptOut.objects.values())]
    assert link.token not in json.dumps(rows, default=str)


def test_opt_out_asks_first_then_records_once(world_a):
    link = make_link(world_a)
    page = Client().get(link.opt_out_url)
    html = page.content.decode()
    assert page.status_code == 200 and "Yes, stop sending me surveys" in html and 'method="post"' in html
    with world_a.scope():
        assert not OptOut.objects.exists()  # a GET changes nothing: mail scanners open links
    done = Client().post(link.opt_out_url, {"source": "email"})
    assert done.status_code == 200
    assert "you will not receive survey emails from Alpha Analytics" in done.content.decode()
    Client().post(link.opt_out_url, {"source": "page"})  # idempotent: the first source stays
    with world_a.scope():
        opt_out = OptOut.objects.get()
        assert (opt_out.contact_id, opt_out.source) == (link.invitation.contact_id, "email")
    # Once opted out, the link says so instead of asking again.
    assert "you will not receive" in Client().get(link.opt_out_url).content.decode()


def test_opt_out_from_the_page_and_after_expiry(world_a):
    link = make_link(world_a, language="tr")
    page = Client().get(link.url).content.decode()
    assert f'href="{link.opt_out_url}?from=page"' in page
    confirm = Client().get(link.opt_out_url + "?from=page").content.decode()
    assert 'name="source" value="page"' in confirm and "Evet, bana anket göndermeyi durdurun" in confirm
    expired = make_link(world_a, contact=world_a.contacts[1], sent_ago=dt.timedelta(days=40),
                        expires_in=dt.timedelta(days=-12))
    assert Client().get(expired.url).status_code == 410
    assert Client().get(expired.opt_out_url).status_code == 200
    assert Client().post(expired.opt_out_url, {"source": "page"}).status_code == 200
    with world_a.scope():
        assert OptOut.objects.get(contact=world_a.contacts[1]).source == "page"


def test_posts_are_limited_per_token_and_requests_per_address(world_a):
    link = make_link(world_a, language="tr")
    client = Client()
    statuses = [client.post(link.url, {"score": "4"}, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(11)]
    assert statuses == [200] * 10 + [429]  # from eleven addresses: the token's own limit
    over = client.get(link.url + "?score=3", REMOTE_ADDR="10.0.1.1", headers={"Accept-Language": "tr"})
    assert over.status_code == 429 and "Çok fazla istek" in over.content.decode()
    with world_a.scope():
        assert SurveyResponse.objects.get().score == 4  # the refused one-click wrote nothing
    # A plain GET of the page is not a write: only the address limit counts it.
    assert client.get(link.url, REMOTE_ADDR="10.0.1.1").status_code == 200
    other = make_link(world_a, contact=world_a.contacts[2])
    statuses = [client.get(other.url, REMOTE_ADDR="10.9.9.9").status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]
    # Unknown tokens count against the address too, so guessing costs the guesser.
    assert client.get(f"/s/{new_token()[0]}/", REMOTE_ADDR="10.9.9.9").status_code == 429


def test_every_catalog_entry_has_every_shipped_language():
    missing = {key: sorted(set(SHIPPED) - set(texts)) for key, texts in CATALOG.items() if set(texts) != set(SHIPPED)}
    assert not missing
    for key, texts in CATALOG.items():
        placeholders = {lang: sorted(part.split("}")[0] for part in text.split("{")[1:])
                        for lang, text in texts.items()}
        assert len({tuple(p) for p in placeholders.values()}) == 1, (key, placeholders)  # same {names} everywhere
        assert all(text.strip() for text in texts.values()), key


def test_a_mail_clients_one_click_unsubscribe_opts_out_without_a_form(world_a):
    """RFC 8058: the client POSTs ``List-Unsubscribe=One-Click`` to the List-Unsubscribe URL, with no CSRF
    token or cookie of ours; it must record the opt-out (a refused CSRF check would keep mailing the person)."""
    link = make_link(world_a)
    client = Client(enforce_csrf_checks=True)
    answer = client.post(link.opt_out_url, "List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    with world_a.scope():
        assert OptOut.objects.get().source == "email"
    # The answer page itself keeps its CSRF check.
    assert client.post(link.url, {"score": "4"}).status_code == 403
