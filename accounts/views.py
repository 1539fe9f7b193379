from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import ApiKey, Contact, CustomerAccount
from accounts.permissions import requires


@requires("accounts.view")
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = CustomerAccount.objects.order_by("name")[:50]
    return render(request, "accounts/account_list.html", {"accounts": accounts})


@requires("contacts.view")
def contact_list(request: HttpRequest) -> HttpResponse:
    contacts = Contact.objects.select_related("account").order_by("name")[:50]
    return render(request, "accounts/contact_list.html", {"contacts": contacts})


@requires("apikeys.manage")
def apikey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/apikey_list.html", {"keys": ApiKey.objects.order_by("-created_at")})
