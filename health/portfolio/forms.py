"""The portfolio's CSM filter: mine, one CSM, or all (a bad value is ignored and named, like the lists')."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import default_show

MINE, ALL = "mine", "all"


class PortfolioFilterForm(forms.Form):
    csm = forms.ChoiceField(required=False, label="CSM")

    def __init__(self, *args: Any, role: str | None, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default_show(role)  # a CSM lands on their own book, the others on every account
        self.users = {str(u.pk): u for u in users}  # the tenant's admins, managers and CSMs (one query)
        self.fields["csm"].choices = [(MINE, "My accounts"), (ALL, "All accounts")] + [
            (pk, u.get_full_name() or u.email or u.username) for pk, u in self.users.items()]
        self.fields["csm"].initial = self.default

    def owner(self, *, user: Any) -> Any:
        """The CSM whose accounts are shown, or None for all."""
        choice = (self.cleaned_data.get("csm") if self.is_bound else None) or self.default
        if choice == MINE:
            return user
        return self.users.get(choice)  # ALL -> None
