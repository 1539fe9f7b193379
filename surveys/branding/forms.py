"""The logo upload of the survey edit page: the file's bytes checked by surveys.branding.images."""

from __future__ import annotations

from django import forms

from surveys.branding.images import MAX_BYTES, MAX_SIDE, ImageError, inspect


def image_field(label: str) -> forms.FileField:
    """An image upload field: its help says what is accepted, its errors start with ``label``."""
    return forms.FileField(
        label=label, help_text=f"PNG, JPEG or WebP, at most {MAX_BYTES // 1024} KB and {MAX_SIDE} x {MAX_SIDE} px",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        error_messages={"required": f"{label}: choose an image file.", "empty": f"{label}: the file is empty."})


class LogoForm(forms.Form):
    logo = image_field("Logo")

    def clean_logo(self) -> bytes:
        return checked_image(self.cleaned_data["logo"], label="Logo")


def checked_image(upload, *, label: str) -> bytes:
    """An uploaded file's bytes if it is an accepted image (surveys.branding.images), else a
    ValidationError starting with ``label``; also used by the learning app's lesson images."""
    # The size first, from the upload's own count: an oversized file is refused without reading it.
    if upload.size > MAX_BYTES:
        raise forms.ValidationError(f"{label}: at most {MAX_BYTES // 1024} KB (this file is {upload.size // 1024} KB).")
    data = upload.read(MAX_BYTES + 1)
    try:
        inspect(data)
    except ImageError as error:
        raise forms.ValidationError(f"{label}: {error}.") from None
    return data
