import pytest
from django.core.cache import cache
from django.test import override_settings

from cs_platform.api.throttle import parse_rate


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@override_settings(API_RATE_LIMIT="3/min")
def test_a_key_over_its_rate_gets_429_with_retry_after(worlds):
    a, b = worlds
    client = a.api()
    assert [client.get("/api/v1/accounts").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/accounts")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["errors"][0]["message"].startswith("Request was throttled")
    # Writes count against the same budget, and nothing is written while refused.
    assert client.post("/api/v1/accounts/bulk", data=[{"external_id": "late", "name": "Late"}],
                       content_type="application/json").status_code == 429
    with a.scope():
        from accounts.models import CustomerAccount

        assert not CustomerAccount.objects.filter(external_id="late").exists()
    # Each key has its own budget: tenant B is not slowed down by tenant A.
    assert b.api().get("/api/v1/accounts").status_code == 200


@override_settings(API_RATE_LIMIT="3/min")
def test_requests_refused_before_authentication_do_not_use_a_budget(worlds):
    a, _ = worlds
    for _ in range(5):
        assert a.api(raw_key="csk_wrong").get("/api/v1/accounts").status_code == 401
    assert a.api().get("/api/v1/accounts").status_code == 200


@pytest.mark.parametrize("rate, expected", [("12000/min", (12000, 60)), ("5/s", (5, 1)), ("100/hour", (100, 3600))])
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "fast", "10/day", "x/min"])
def test_parse_rate_refuses_nonsense(rate):
    with pytest.raises(ValueError, match="API_RATE_LIMIT"):
        parse_rate(rate)
