"""Form fields of the pages that take dates and times: ASCII digits only, and inside cs_platform.bounds'
window (2000 to ten years ahead), so a bad value is a form error naming the field, never a stored row
that breaks later pages."""

from __future__ import annotations

from typing import Any

from django import forms

from cs_platform import bounds


def _ascii(field: forms.Field, value: Any) -> None:
    if isinstance(value, str) and not value.isascii():
        raise forms.ValidationError(field.error_messages["invalid"], code="invalid")


class BoundedDateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        _ascii(self, value)
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        message = value is not None and bounds.date_error(value)
        if message:
            raise forms.ValidationError(f"The date {message}.", code="out_of_range")


class BoundedDateTimeField(forms.DateTimeField):
    def to_python(self, value: Any) -> Any:
        _ascii(self, value)
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        message = value is not None and bounds.time_error(value)
        if message:
            raise forms.ValidationError(f"The time {message}.", code="out_of_range")
