"""Reads of ``docs/``: a document by its short name, rendered to HTML with an anchor on every heading.

The files are ours, but they are rendered as if they were not: ``markdown`` (extensions ``extra`` for tables,
``toc`` for the heading ids that pages link to, e.g. ``/docs/metrics/#interactions-and-tickets``), then ``nh3``
with an allow-list, the same two libraries as the knowledge base.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

# Short name in the URL -> file under docs/. Only these are served: a name is never turned into a path.
DOCUMENTS = {"design": "DESIGN.md", "metrics": "METRICS.md", "api": "API.md"}

_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "a", "hr", "br"}
_ATTRIBUTES = {**{h: {"id"} for h in ("h1", "h2", "h3", "h4", "h5", "h6")}, "a": {"href", "title"},
               "th": {"align"}, "td": {"align"}}


@dataclass(frozen=True)
class Document:
    name: str
    filename: str
    title: str
    html: SafeString
    anchors: tuple[str, ...]  # every heading id, in order


def docs_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs"


def document(*, name: str) -> Document | None:
    """The document called ``name`` (a key of DOCUMENTS), or None."""
    filename = DOCUMENTS.get(name)
    if filename is None:
        return None
    path = docs_dir() / filename
    return _render(name, filename, path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=len(DOCUMENTS) * 2)
def _render(name: str, filename: str, text: str) -> Document:
    # Keyed on the text, so an edited file is rendered again and an unchanged one only once per process.
    md = markdown.Markdown(extensions=["extra", "toc"], output_format="html")
    html = nh3.clean(md.convert(text), tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")
    anchors = tuple(_anchors(md.toc_tokens))
    title = md.toc_tokens[0]["name"] if md.toc_tokens else filename
    return Document(name=name, filename=filename, title=title, html=mark_safe(html), anchors=anchors)  # noqa: S308


def _anchors(tokens: list[dict]) -> list[str]:
    out = []
    for token in tokens:
        out.append(token["id"])
        out += _anchors(token["children"])
    return out
