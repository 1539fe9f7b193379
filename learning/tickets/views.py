"""The ticket page's learning panel (loaded by htmx from support's ticket template, so support imports no
learning page): the published paths that cover the ticket's suggested articles, with their support action."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from cs_platform.web.pages import wants_partial
from learning.models import EnrollmentStatus, SupportAction
from learning.tickets.selectors import ticket_coverage
from support.knowledge.selectors import ticket_suggestions
from support.records.access import get_ticket_for_tenant

PANEL = "learning/tickets/ticket_paths.html"


@require_GET
@requires("desk.view")
def ticket_paths(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    tenant = request.tenant
    ticket = get_ticket_for_tenant(tenant, pk=ticket_pk)
    suggestions = list(ticket_suggestions(tenant=tenant, ticket=ticket))
    sent = {s.article_id for s in suggestions if s.sent_to_customer_at}
    titles = {s.article_id: s.article.title for s in suggestions}
    covers = ticket_coverage(tenant=tenant, contact_id=ticket.contact_id, article_ids=titles)
    rows = [{"cover": c, "articles": [titles[a] for a in c.article_ids], "sent": any(a in sent for a in c.article_ids),
             "action": SupportAction(c.action).label,
             "status": EnrollmentStatus(c.enrollment_status).label if c.enrollment_status else ""}
            for c in covers]
    template = f"{PANEL}#panel" if wants_partial(request) else PANEL
    response = render(request, template, {"ticket": ticket, "rows": rows})
    response["Vary"] = "HX-Request"
    return response
