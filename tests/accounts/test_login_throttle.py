"""Login and password-reset throttling: wrong passwords lock a username or an address out for a while (axes),
reset mails are limited per email and per address (django-ratelimit), and neither tells which accounts exist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED_MESSAGE = "Too many failed login attempts"
WRONG = "wrong-password"


def attempt(username: str, password: str = WRONG, ip: str = "10.0.0.1", url: str | None = None):
    return Client(REMOTE_ADDR=ip).post(url or reverse("login"), {"username": username, "password": password})


def page_text(response) -> str:
    # The CSRF token (in the form and in htmx's headers) differs per client; everything else must not.
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "<csrf>", response.content.decode())


def end_cool_off():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))


def test_lockout_is_by_username_or_by_address_and_a_success_resets():
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"] and settings.AXES_RESET_ON_SUCCESS


def test_wrong_passwords_from_varying_addresses_lock_the_account():
    user = UserFactory(username="alice@alpha.test")
    for n in range(LIMIT - 1):
        response = attempt(user.username, ip=f"10.1.0.{n}")
        assert response.status_code == 200 and LOCKED_MESSAGE not in response.content.decode()
    locked = attempt(user.username, ip="10.1.0.99")
    assert locked.status_code == 429 and LOCKED_MESSAGE in locked.content.decode()
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in locked.content.decode()

    # The right password, from a fresh address, is refused too until the cool-off ends.
    refused = attempt(user.username, PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 429 and LOCKED_MESSAGE in refused.content.decode()
    # Another spelling of the same name counts as the same name.
    assert attempt("ALICE@alpha.test ", PASSWORD, ip="10.9.9.8").status_code == 429

    end_cool_off()
    signed_in = attempt(user.username, PASSWORD, ip="10.9.9.9")
    assert signed_in.status_code == 302 and signed_in.wsgi_request.user == user


def test_wrong_passwords_from_one_address_across_usernames_lock_the_address():
    users = [UserFactory(username=f"user{n}@alpha.test") for n in range(LIMIT)]
    for user in users:
        last = attempt(user.username, ip="192.0.2.7")
    assert last.status_code == 429 and LOCKED_MESSAGE in last.content.decode()
    # A correct password from that address is refused; from another address the same user gets in.
    other = UserFactory(username="bystander@alpha.test")
    assert attempt(other.username, PASSWORD, ip="192.0.2.7").status_code == 429
    assert attempt(other.username, PASSWORD, ip="192.0.2.8").status_code == 302


def test_unknown_username_answers_exactly_as_an_existing_one():
    UserFactory(username="real@alpha.test")
    for n in range(LIMIT + 1):
        real = attempt("real@alpha.test", ip=f"10.2.0.{n}")
        ghost = attempt("ghost@alpha.test", ip=f"10.3.0.{n}")
        assert real.status_code == ghost.status_code == (200 if n < LIMIT - 1 else 429)
        assert page_text(real).replace("real@alpha.test", "X") == page_text(ghost).replace("ghost@alpha.test", "X")
    # After the lockout, a right password for the real one answers like any password for the ghost.
    real = attempt("real@alpha.test", PASSWORD, ip="10.2.1.1")
    ghost = attempt("ghost@alpha.test", PASSWORD, ip="10.3.1.1")
    assert real.status_code == ghost.status_code == 429
    assert page_text(real) == page_text(ghost)


def test_a_success_before_the_limit_resets_the_count():
    user = UserFactory(username="bob@alpha.test")
    for _ in range(LIMIT - 1):
        assert attempt(user.username).status_code == 200
    assert attempt(user.username, PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert attempt(user.username).status_code == 200  # counting from zero again
    assert attempt(user.username, PASSWORD).status_code == 302


def test_admin_login_is_throttled_too():
    staff = UserFactory(username="staff@platform.test", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for n in range(LIMIT):
        last = attempt(staff.username, ip=f"10.4.0.{n}", url=url)
    assert last.status_code == 429 and LOCKED_MESSAGE in last.content.decode()
    assert attempt(staff.username, PASSWORD, ip="10.4.1.1", url=url).status_code == 429


def reset(email: str, ip: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post(reverse("password_reset"), {"email": email})


def test_password_reset_per_email_sends_no_more_mail_and_answers_the_same():
    user = UserFactory(username="carol@alpha.test")
    allowed = int(settings.PASSWORD_RESET_RATE_PER_EMAIL.split("/")[0])
    for n in range(allowed):
        response = reset(user.email, ip=f"10.5.0.{n}")
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == allowed
    for n in range(3):
        response = reset(user.email.upper(), ip=f"10.6.0.{n}")
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == allowed


def test_password_reset_per_address_sends_no_more_mail_and_answers_the_same():
    allowed = int(settings.PASSWORD_RESET_RATE_PER_IP.split("/")[0])
    users = [UserFactory(username=f"reset{n}@alpha.test") for n in range(allowed + 2)]
    for user in users[:allowed]:
        assert reset(user.email, ip="198.51.100.4").status_code == 302
    assert len(mail.outbox) == allowed
    for user in users[allowed:]:
        response = reset(user.email, ip="198.51.100.4")
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == allowed
    # Another address still gets its mail.
    assert reset(users[-1].email, ip="198.51.100.5").status_code == 302
    assert len(mail.outbox) == allowed + 1


def test_client_address_behind_the_proxy_is_the_last_forwarded_entry(rf, settings):
    from cs_platform.client import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request) == "10.0.0.9"  # not behind a proxy: the header is the client's word only
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "203.0.113.5"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="junk")) == "10.0.0.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
