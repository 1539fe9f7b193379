"""Links to the project's documents: none leaves the repository (a clone has no ``../shared/``), and every link
to a served document (``/docs/<name>/#anchor``) in a template or the README answers 200 with that anchor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from cs_platform.docs.selectors import DOCUMENTS, document

ROOT = Path(settings.BASE_DIR)


def _texts() -> dict[str, str]:
    paths = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("templates/**/*.html"),
             *ROOT.glob("*/templates/**/*.html")]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in paths}


def test_nothing_links_outside_the_repository():
    bad = {name for name, text in _texts().items() if "../shared" in text or re.search(r"\]\(\.\./", text)}
    assert not bad, f"links outside the repository: {sorted(bad)}"


def _doc_links() -> set[tuple[str, str]]:
    """``(name, anchor)`` of every ``{% url 'doc' 'name' %}#anchor`` in a template and ``/docs/name/#anchor``
    in the README."""
    links = set()
    for text in _texts().values():
        links |= set(re.findall(r"\{% url 'doc' '([a-z]+)' %\}#?([\w-]*)", text))
        links |= set(re.findall(r"/docs/([a-z]+)/#?([\w-]*)", text))
    return links


def test_templates_link_to_served_documents():
    assert ("metrics", "interactions-and-tickets") in _doc_links()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_answers_200_with_its_anchors(world_a, name):
    response = world_a.client_for().get(reverse("doc", args=[name]))
    assert response.status_code == 200
    body = response.content.decode()
    for anchor in document(name=name).anchors:
        assert f'id="{anchor}"' in body
    assert "<script" not in body.split("<main>")[1] and "style=" not in body


@pytest.mark.django_db
def test_each_docs_link_answers_200_with_its_anchor(world_a):
    client = world_a.client_for()
    for name, anchor in sorted(_doc_links()):
        response = client.get(reverse("doc", args=[name]))
        assert response.status_code == 200, name
        if anchor:
            assert f'id="{anchor}"' in response.content.decode(), (name, anchor)


@pytest.mark.django_db
def test_unknown_document_is_404_and_signed_out_is_sent_to_login(world_a, client):
    assert world_a.client_for().get("/docs/secrets/").status_code == 404
    assert world_a.client_for().get("/docs/..%2Fsettings/").status_code == 404
    response = client.get(reverse("doc", args=["metrics"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_markdown_is_rendered_with_code_and_tables():
    metrics = document(name="metrics")
    assert "<table>" in metrics.html and "<code>percentile_cont</code>" in metrics.html
    assert "interactions-and-tickets" in metrics.anchors
