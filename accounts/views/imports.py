"""The CSV import page of accounts and contacts: upload, then a progress bar that polls the job."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import imports
from accounts.forms import CsvImportForm


def import_page(request: HttpRequest, kind: imports.ImportKind, template_context: dict[str, Any]) -> HttpResponse:
    form = CsvImportForm(request.POST or None, request.FILES or None, columns=kind.columns, required=kind.required)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = imports.start_import(tenant=request.tenant, kind=kind, text=upload.text, total=upload.row_count,
                                   user=request.user)
        messages.success(request, f"Import of {upload.row_count} {kind.label} queued.")
        return redirect("job-progress", tenant_slug=request.tenant.slug, job_pk=job.pk)
    context = {"form": form, "kind": kind, "choice_help": imports.CHOICE_HELP, **template_context}
    return render(request, "accounts/import.html", context)
