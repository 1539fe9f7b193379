"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in the test's thread. Test data is made before the browser
# starts and later ORM work goes through off_the_event_loop(); the guard is off as a safety net.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def off_the_event_loop(func: Callable[[], T]) -> T:
    """Run ORM code while Playwright's loop runs: in a thread of its own, whose connection is closed
    afterwards (a connection opened from the loop's context would outlive the test and keep the
    test database from being dropped)."""
    result: list[T] = []

    def run() -> None:
        try:
            result.append(func())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result, "the ORM code failed; see the thread's traceback above"
    return result[0]


@pytest.fixture
def browser_page() -> Iterator:
    """A fresh page in headless chromium. Request it after the fixtures that write test data."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and CS_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()
