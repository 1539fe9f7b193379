"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# Console errors that are known and being fixed elsewhere, each as (page URL regex, message regex, why).
# Anything else logged as a console error or thrown on any page fails the test that visited it. Empty: no
# browser test meets one today (the ticket page's macro picker and /api/docs/ were suspected; the first passes
# clean here, the second is not visited by a browser test).
KNOWN_CONSOLE_ERRORS: list[tuple[str, str, str]] = []


@dataclass
class ConsoleProblem:
    url: str  # the page that was open when it was logged
    kind: str  # "console" (console.error, a CSP violation, a failed load) or "pageerror" (an uncaught exception)
    text: str

    def __str__(self) -> str:
        return f"{self.kind} on {self.url}: {self.text}"


def is_known(problem: ConsoleProblem) -> bool:
    return any(re.search(url, problem.url) and re.search(text, problem.text)
               for url, text, _why in KNOWN_CONSOLE_ERRORS)


class ConsoleWatch:
    """Every console error and uncaught exception of a page, with the URL it happened on."""

    def __init__(self, page) -> None:
        self.problems: list[ConsoleProblem] = []
        self.expected: list[str] = []  # message regexes this test provokes on purpose (see expect())
        page.on("console", lambda msg: self.problems.append(ConsoleProblem(page.url, "console", msg.text))
                if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.problems.append(ConsoleProblem(page.url, "pageerror", str(error))))

    def expect(self, text: str) -> None:
        """Tolerate messages matching ``text`` from now on in this test only: what the test provokes on
        purpose (chromium logs every 4xx answer to a fetch as "Failed to load resource")."""
        self.expected.append(text)

    def unexpected(self) -> list[ConsoleProblem]:
        return [p for p in self.problems
                if not is_known(p) and not any(re.search(text, p.text) for text in self.expected)]

    def assert_clean(self, where: str = "") -> None:
        unexpected = self.unexpected()
        assert not unexpected, f"browser console errors{f' ({where})' if where else ''}:\n" + "\n".join(
            map(str, unexpected))


@pytest.fixture
def browser_page() -> Iterator:
    """A fresh page in headless chromium. Request it after the fixtures that write test data.

    The page fails its test on any console error or uncaught exception (a CSP violation included) on any
    page it visited, checked when the test ends; ``page.console`` (:class:`ConsoleWatch`) lets a test check
    sooner. Known cases elsewhere being fixed: :data:`KNOWN_CONSOLE_ERRORS`."""
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
            page.console = ConsoleWatch(page)
            yield page
            page.console.assert_clean("checked when the test ended")
        finally:
            browser.close()
