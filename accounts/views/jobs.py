"""Progress of a background job (CSV imports now), polled by htmx while it runs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.access import get_job_for_tenant
from accounts.permissions import requires
from cs_platform.web.pages import render_list

JOB_TITLES = {"import_accounts": "Account import", "import_contacts": "Contact import",
              "health_recompute": "Health score recompute", "health_backtest": "Health backtest"}
JOB_BACK_LINKS = {"import_accounts": "account-list", "import_contacts": "contact-list",
                  "health_recompute": "scorecard-list", "health_backtest": "health-backtest"}


@require_GET
@requires("accounts.view")
def job_progress(request: HttpRequest, job_pk: int) -> HttpResponse:
    job = get_job_for_tenant(request.tenant, pk=job_pk)
    context = {"job": job, "title": JOB_TITLES.get(job.kind, job.kind), "back_url_name": JOB_BACK_LINKS.get(job.kind)}
    # While the job runs, the page polls itself and htmx swaps in only the progress partial.
    return render_list(request, "accounts/job_progress.html", context, partial="progress")
