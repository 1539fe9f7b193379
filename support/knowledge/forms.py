"""Forms of the knowledge-base writers' pages. Uniqueness per tenant (slugs) is checked here, naming the
field, instead of letting the database constraint answer a 500."""

from __future__ import annotations

from django import forms

from accounts.models import Tenant
from support.models import Article, ArticleCategory


class _TenantForm(forms.ModelForm):
    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or ""
        model = self._meta.model
        if slug and model.objects.filter(tenant=self.tenant, slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another one already uses this slug.")
        return slug


class ArticleForm(_TenantForm):
    class Meta:
        model = Article
        fields = ("title", "slug", "body_markdown")
        labels = {"body_markdown": "Body (Markdown)"}
        help_texts = {"slug": "The help-center URL of the article; leave blank to derive it from the title."}
        widgets = {"body_markdown": forms.Textarea(attrs={"rows": 18})}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["slug"].required = False
        # Declared here, not by the ModelForm metaclass: a queryset built at import time would have no tenant.
        self.fields["category"] = forms.ModelChoiceField(
            queryset=ArticleCategory.objects.filter(tenant=tenant).order_by("position", "name"), required=False,
            initial=self.instance.category_id,
        )
        self.order_fields(["title", "slug", "category", "body_markdown"])

    def clean(self) -> dict:
        data = super().clean()
        self.instance.category = data.get("category")
        return data


class CategoryForm(_TenantForm):
    class Meta:
        model = ArticleCategory
        fields = ("name", "slug", "position")
        help_texts = {"slug": "Leave blank to derive it from the name.", "position": "Lower comes first."}

    def __init__(self, *args, tenant: Tenant, **kwargs) -> None:
        super().__init__(*args, tenant=tenant, **kwargs)
        self.fields["slug"].required = False
        self.fields["position"].required = False

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0


class FrequentQuestionsForm(forms.Form):
    days = forms.IntegerField(required=False, min_value=1, max_value=365, label="Tickets of the last (days)")

    def days_value(self) -> int:
        return (self.cleaned_data.get("days") if self.is_bound and self.is_valid() else None) or 30
