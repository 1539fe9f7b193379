"""The note / logged-touch form, and the timeline's query parameters (the cursor and the kind filter)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Tenant
from accounts.timeline.models import NOTE_BODY_MAX, NOTE_SUBJECT_MAX, NoteKind
from accounts.timeline.registry import Cursor
from cs_platform import bounds
from cs_platform.web.fields import BoundedDateTimeField

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class NoteForm(forms.Form):
    """``happened_at`` is the tenant's wall-clock time (a datetime-local input); empty means now. Clean it
    inside ``timezone.override(tenant.zone)``: :meth:`is_valid_in_tenant_zone` does. Django's CharField already refuses
    NUL characters; the widgets carry the same limits (maxlength, min/max) so that a browser stops most bad
    input before it is sent."""

    kind = forms.ChoiceField(choices=NoteKind.choices, initial=NoteKind.NOTE, label="What")
    happened_at = BoundedDateTimeField(
        required=False, label="When", input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
        help_text="in the tenant's time zone; empty = now",
    )
    subject = forms.CharField(required=False, max_length=NOTE_SUBJECT_MAX, label="Subject")
    body = forms.CharField(max_length=NOTE_BODY_MAX, label="Note", strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        # No prefilled time: a minute-precise "now" would place a note before events of the last seconds.
        now = timezone.now().astimezone(tenant.zone)
        self.fields["happened_at"].widget.attrs.update(
            min=bounds.EARLIEST.astimezone(tenant.zone).strftime(LOCAL_INPUT_FORMAT),
            max=bounds.latest(now).strftime(LOCAL_INPUT_FORMAT))

    def is_valid_in_tenant_zone(self) -> bool:
        with timezone.override(self.tenant.zone):  # a datetime-local value is the tenant's wall-clock time
            return self.is_valid()

    def note_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"kind": data["kind"], "subject": data["subject"], "body": data["body"],
                "happened_at": data["happened_at"] or timezone.now()}


class TimelineParamError(ValueError):
    """A bad timeline query parameter: ``field`` names it (the page answers 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def parse_cursor(raw: str | None, *, known_kinds: Iterable[str]) -> Cursor | None:
    """``before`` as the older-page links write it (``<ISO time>~<kind>~<key>``), or None when absent."""
    if raw is None or raw == "":
        return None
    parts = raw.split("~")
    if len(parts) != 3:
        raise TimelineParamError("before", "not a timeline position; follow the “Older” link")
    at_text, kind, key_text = parts
    try:
        at = bounds.parse_offset_time(at_text)
    except bounds.TimeInputError as exc:
        raise TimelineParamError("before", exc.message or "not a timestamp with an offset") from None
    key = bounds.whole_number(key_text, high=bounds.INT8_MAX)
    if key is None:
        raise TimelineParamError("before", "the position's id is not a whole number")
    if kind not in set(known_kinds):
        raise TimelineParamError("before", f"unknown event kind {kind[:60]!r}")
    return Cursor(at=at, kind=kind, key=key)


def parse_kinds(raw: list[str], *, known_kinds: Iterable[str]) -> frozenset[str] | None:
    """The ``kind`` filter (repeated parameter), or None for every kind."""
    wanted = frozenset(k for k in raw if k != "")
    if not wanted:
        return None
    unknown = wanted - set(known_kinds)
    if unknown:
        raise TimelineParamError("kind", f"unknown event kind {sorted(unknown)[0][:60]!r}")
    return wanted
