"""Forms of the staff pages: list filters, account and contact editing, CSV upload, API keys, members,
tenant settings, and the operators' tenant creation.

Every form that offers objects as choices takes the tenant and limits its querysets to it, so a
posted id of another tenant fails validation like any unknown value.
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import unicodedata
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.validators import RegexValidator
from django.db.models.functions import Lower

from accounts import selectors
from accounts.models import Contact, CustomerAccount, KnowledgeLevel, LifecycleStage, Role, Tenant
from accounts.models.tenants import ApiScope
from cs_platform.api.serializers import external_id_error
from cs_platform.web.fields import BoundedDateField
from surveys.languages import language_error

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PHONE_VALIDATOR = RegexValidator(r"^\+?[0-9 ().\-]{3,32}$", "Enter a phone number: digits, spaces, + ( ) . -")


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email or obj.username


# --- list filters -------------------------------------------------------------------------------
# Filters are GET parameters typed by hand or kept in bookmarks: a bad value is reported on the form
# and ignored (cleaned_data only holds the valid fields), never a 500 or an empty page.


# "Mine" = owned by the signed-in user (owner_csm). A CSM lands on their own accounts; everyone else on all.
SHOW_CHOICES = [("mine", "My accounts"), ("all", "All accounts")]


def default_show(role: str | None) -> str:
    return "mine" if role == Role.CSM else "all"


# What the sort menu calls each key (an acronym stays upper-case: "ARR", not "Arr").
SORT_LABELS = {"name": "Name", "arr": "ARR", "seats": "Seats", "renewal_date": "Renewal date", "updated": "Updated"}


class AccountFilterForm(forms.Form):
    show = forms.ChoiceField(required=False, label="Show", choices=SHOW_CHOICES)
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, domain or id"}))
    stage = forms.ChoiceField(required=False, label="Stage", choices=_blank("Any stage") + LifecycleStage.choices)
    tier = forms.ChoiceField(required=False, label="Tier")
    owner = UserChoiceField(required=False, label="Owner CSM", queryset=None, empty_label="Any owner")
    renewal = forms.ChoiceField(
        required=False, label="Renewal",
        choices=_blank("Any time") + [("overdue", "Overdue"), ("30", "Within 30 days"), ("60", "Within 60 days"),
                                      ("90", "Within 90 days"), ("180", "Within 180 days")],
    )
    sort = forms.ChoiceField(
        required=False, label="Sort",
        choices=[(f"{d}{k}", f"{SORT_LABELS[k]} {'↓' if d else '↑'}")
                 for k in selectors.ACCOUNT_SORTS for d in ("", "-")],
    )

    def __init__(self, *args: Any, tenant: Tenant, user: Any = None, role: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Without a ``show`` parameter (landing on the page, an old bookmark) the role's default applies.
        self.default_show = default_show(role) if user is not None else "all"
        self.fields["show"].initial = self.default_show
        self.fields["owner"].queryset = selectors.csm_users(tenant)
        self.fields["tier"].choices = _blank("Any tier") + [(t, t) for t in selectors.account_tiers(tenant)]

    @property
    def showing(self) -> str:
        data = self.cleaned_data if self.is_bound else {}
        return data.get("show") or self.default_show

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound else {}
        return {
            "mine": self.user if self.showing == "mine" else None,
            "q": (data.get("q") or "").strip(),
            "lifecycle_stage": data.get("stage") or "",
            "tier": data.get("tier") or "",
            "owner": data.get("owner"),
            "renewal": data.get("renewal") or "",
            "sort": data.get("sort") or selectors.DEFAULT_ACCOUNT_SORT,
        }


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, email, phone or id"}))
    account = forms.ModelChoiceField(required=False, label="Account", queryset=None, empty_label="Any account")
    persona = forms.ChoiceField(required=False, label="Persona")
    knowledge = forms.ChoiceField(required=False, label="Knowledge level",
                                  choices=_blank("Any level") + KnowledgeLevel.choices)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = selectors.account_choices(tenant)
        self.fields["persona"].choices = _blank("Any persona") + [(p, p) for p in selectors.contact_personas(tenant)]

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_bound else {}
        return {
            "q": (data.get("q") or "").strip(),
            "account": data.get("account"),
            "persona": data.get("persona") or "",
            "knowledge_level": data.get("knowledge") or "",
        }


# --- editing ------------------------------------------------------------------------------------
# The per-tenant unique constraints start with ``tenant``, which is not a form field, so Django's
# model validation skips them: the forms check them here and answer a form error, not an IntegrityError.


class AccountForm(forms.ModelForm):
    class Meta:
        model = CustomerAccount
        fields = ["external_id", "name", "domain", "plan", "tier", "arr", "seats", "contract_start",
                  "renewal_date", "lifecycle_stage", "owner_csm"]
        widgets = {"contract_start": forms.DateInput(attrs={"type": "date"}),
                   "renewal_date": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"owner_csm": UserChoiceField, "contract_start": BoundedDateField,
                         "renewal_date": BoundedDateField}
        labels = {"external_id": "External id", "arr": "ARR", "owner_csm": "Owner CSM"}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["owner_csm"].queryset = selectors.csm_users(tenant)
        self.fields["owner_csm"].empty_label = "Nobody"

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        if message := external_id_error(value):
            raise forms.ValidationError(f"The external id {message}.")
        taken = CustomerAccount.objects.filter(tenant=self.tenant, external_id=value).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Another account of this tenant already has this external id.")
        return value

    def clean_tier(self) -> str:
        # Same normalisation as the API and the import: SLA policies match tiers exactly.
        return self.cleaned_data["tier"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, renewal = data.get("contract_start"), data.get("renewal_date")
        if start and renewal and renewal < start:
            self.add_error("renewal_date", "The renewal date must not be before the contract start.")
        return data


class ContactForm(forms.ModelForm):
    # Declared, not generated: the generated field would query the scoped manager at import time.
    account = forms.ModelChoiceField(queryset=None)
    phone = forms.CharField(required=False, max_length=32, validators=[PHONE_VALIDATOR])

    class Meta:
        model = Contact
        fields = ["external_id", "account", "name", "email", "phone", "persona", "knowledge_level", "language"]
        labels = {"external_id": "External id"}
        help_texts = {"language": "survey emails and pages in this language when a survey has it: en, tr, "
                                  "zh-Hans, ta, pt-BR ... (empty: the tenant's default)"}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["account"].queryset = selectors.account_choices(tenant)

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        if message := external_id_error(value):
            raise forms.ValidationError(f"The external id {message}.")
        if Contact.objects.filter(tenant=self.tenant, external_id=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another contact of this tenant already has this external id.")
        return value

    def clean_language(self) -> str:
        value = self.cleaned_data["language"].strip()
        if value and (message := language_error(value)):
            raise forms.ValidationError(f"Language: {message}.")
        return value

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip().lower()
        if value:
            taken = (
                Contact.objects.filter(tenant=self.tenant).annotate(email_lower=Lower("email"))
                .filter(email_lower=value).exclude(pk=self.instance.pk)
            )
            if taken.exists():
                raise forms.ValidationError("Another contact of this tenant already has this email.")
        return value


# --- CSV import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvUpload:
    text: str
    columns: list[str]
    row_count: int


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, first row = column names.")

    def __init__(self, *args: Any, columns: tuple[str, ...], required: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        self.required = required

    def clean_file(self) -> CsvUpload:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1024 // 1024} MB."
            )
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")  # Excel writes a BOM
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text; save it as “CSV UTF-8”.") from None
        if "\x00" in text:
            # PostgreSQL refuses NUL in text (and in the job's JSON report of the cells); say where it is.
            line = text.count("\n", 0, text.index("\x00")) + 1
            raise forms.ValidationError(f"The file contains a NUL character (line {line}); it is not CSV text.")
        try:
            reader = csv.reader(io.StringIO(text))
            header = next(reader, None)
            row_count = sum(1 for row in reader if any(cell.strip() for cell in row))
        except csv.Error as exc:
            raise forms.ValidationError(f"The file is not valid CSV: {exc}") from None
        if not header:
            raise forms.ValidationError("The file is empty: the first row must name the columns.")
        columns = [c.strip() for c in header]
        unknown = [c for c in columns if c not in self.columns]
        if unknown:
            raise forms.ValidationError(
                f"Unknown column(s): {', '.join(unknown)}. Allowed columns: {', '.join(self.columns)}."
            )
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if duplicated:
            raise forms.ValidationError(f"Column(s) given twice: {', '.join(duplicated)}.")
        missing = [c for c in self.required if c not in columns]
        if missing:
            raise forms.ValidationError(f"Missing required column(s): {', '.join(missing)}.")
        if row_count == 0:
            raise forms.ValidationError("The file has a header but no rows.")
        return CsvUpload(text=text, columns=columns, row_count=row_count)


# --- API keys -----------------------------------------------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Say what uses it, e.g. “CRM sync”.")
    scopes = forms.MultipleChoiceField(choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple,
                                       help_text="read: GET; write: create and change records; ingest: bulk pushes.")


# --- members ------------------------------------------------------------------------------------


class AddMemberForm(forms.Form):
    email = forms.EmailField(max_length=254, help_text="An existing user joins; a new one gets an email to set a "
                                                       "password.")
    name = forms.CharField(required=False, max_length=150, help_text="Only used for a new user.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class StaffPasswordResetForm(PasswordResetForm):
    """"Forgot password" for staff, including those who never set one.

    Django leaves out users without a usable password (they might sign in some other way). Here a
    user without one is a member who was added by email and has not chosen a password yet, maybe
    because the link in their invitation expired: the reset mail is how they get in.
    """

    def get_users(self, email: str):
        user_model = get_user_model()
        field = user_model.get_email_field_name()
        users = user_model._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        # As Django does: iexact in SQL may match other Unicode spellings; compare the folded forms too.
        wanted = unicodedata.normalize("NFKC", email).casefold()
        return (u for u in users if unicodedata.normalize("NFKC", getattr(u, field)).casefold() == wanted)


# --- tenants ------------------------------------------------------------------------------------

MONTH_CHOICES = [(n, calendar.month_name[n]) for n in range(1, 13)]


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TenantSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices, initial="UTC",
                                 help_text="Days and months of the reports are counted in this time zone.")
    fiscal_year_start_month = forms.TypedChoiceField(label="Fiscal year starts in", coerce=int,
                                                     choices=MONTH_CHOICES, initial=1)


class TenantCreateForm(TenantSettingsForm):
    slug = forms.SlugField(max_length=50, help_text="The tenant's name in URLs (/t/<slug>/); it cannot be changed "
                                                    "later.")
    admin_email = forms.EmailField(label="First admin's email", max_length=254,
                                   help_text="They get an email to set their password (or to log in, if they "
                                             "already have a user).")

    field_order = ["slug", "name", "timezone", "fiscal_year_start_month", "admin_email"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if Tenant.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A tenant with this slug already exists.")
        return slug

    def clean_admin_email(self) -> str:
        return self.cleaned_data["admin_email"].strip().lower()
