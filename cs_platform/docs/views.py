"""``/docs/<name>/``: the project's documents for signed-in staff (the pages that cite them are staff pages).

Decision: login required, like every page that links here; the documents hold no tenant's data, so no tenant
or permission check beyond signing in.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cs_platform.docs.selectors import DOCUMENTS, document


@require_GET
@login_required
def doc(request: HttpRequest, name: str) -> HttpResponse:
    found = document(name=name)
    if found is None:
        raise Http404("no such document")
    return render(request, "docs/page.html", {"doc": found, "documents": DOCUMENTS})
