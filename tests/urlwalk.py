"""Every URL pattern of the project, discovered from the resolver (so new URLs are covered by the
isolation and architecture suites without anyone remembering to add them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

KWARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "t/<slug:tenant_slug>/accounts/<int:account_pk>/"
    callback: Callable
    name: str | None

    @property
    def kwargs(self) -> list[str]:
        return [m.group("name") for m in KWARG.finditer(self.route)]

    @property
    def object_kwargs(self) -> list[str]:
        return [k for k in self.kwargs if k != "tenant_slug"]

    def fill(self, values: dict[str, object]) -> str:
        return "/" + KWARG.sub(lambda m: str(values[m.group("name")]), self.route)

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)


def _walk(patterns, prefix: str) -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            if route.startswith("^") or "(?P<" in route:  # regex routes (Django's own): keep as written
                route = route.replace("^", "").replace("$", "").replace("\\Z", "")
            yield Route(route=route, callback=pattern.callback, name=pattern.name)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, ""))


def tenant_page_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith("t/<slug:tenant_slug>/")]


def api_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith("api/v1/")]
