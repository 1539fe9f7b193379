"""One response per invitation when two submits race (committed transactions, real PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.tenancy import tenant_scope
from surveys.models import Source, SurveyResponse
from surveys.public.services import answer_invitation
from surveys.sending.models import Invitation, InvitationStatus
from tests.surveys.public.factory import make_link

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        return cursor.fetchone()[0] > 0


def test_two_first_submits_at_once_leave_one_response(world_a):
    """The interleaving made certain: the first submit has created its response but not committed when the
    second starts; the second must wait on the invitation's row lock, then edit the first's response."""
    link = make_link(world_a, kind="nps")
    first_written, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    done: dict[str, int] = {}

    def submit(name: str, score: int, hold: bool) -> None:
        try:
            with tenant_scope(world_a.tenant), transaction.atomic():
                invitation = Invitation.objects.select_related("survey", "tenant").get(pk=link.invitation.pk)
                if not hold:
                    second_started.set()
                response = answer_invitation(invitation=invitation, score=score, comment=f"from {name}",
                                             followup_answer="", source=Source.PAGE, now=timezone.now())
                done[name] = response.pk
                if hold:
                    first_written.set()
                    assert second_started.wait(timeout=20)
                    for _ in range(200):  # commit only once the second submit waits on our lock
                        if _waiting_on_a_lock():
                            break
                        time.sleep(0.02)
                    else:
                        raise AssertionError("the second submit never waited for the first")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            first_written.set()
            connection.close()

    first = threading.Thread(target=submit, args=("first", 9, True))
    first.start()
    assert first_written.wait(timeout=20)
    second = threading.Thread(target=submit, args=("second", 3, False))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors, errors
    with tenant_scope(world_a.tenant):
        responses = list(SurveyResponse.objects.filter(invitation=link.invitation))
        assert len(responses) == 1
        assert done["first"] == done["second"] == responses[0].pk
        assert (responses[0].score, responses[0].comment) == (3, "from second")  # the later one edited it
        assert Invitation.objects.get(pk=link.invitation.pk).status == InvitationStatus.ANSWERED


def test_many_submits_at_once_through_the_page_leave_one_response(world_a, live_server):
    """Eight browsers posting the same link at the same moment: one response, every answer 200."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    link = make_link(world_a, kind="csat")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def post(score: int) -> None:
        # Each browser opens the page first (its CSRF cookie and form token), then all post together.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(live_server.url + link.url, timeout=30) as page:
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode()).group(1)
        data = urllib.parse.urlencode({"score": str(score), "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(live_server.url + link.url, data=data,  # noqa: S310 - the live server
                                         headers={"Referer": live_server.url + link.url})
        barrier.wait(timeout=20)
        try:
            with opener.open(request, timeout=30) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=post, args=(1 + i % 5,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses.count(200) == 8, statuses
    with tenant_scope(world_a.tenant):
        assert SurveyResponse.objects.filter(invitation=link.invitation).count() == 1
