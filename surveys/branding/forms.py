"""The logo upload of the survey edit page: the file's bytes checked by surveys.branding.images."""

from __future__ import annotations

from django import forms

from surveys.branding.images import MAX_BYTES, MAX_SIDE, ImageError, inspect


class LogoForm(forms.Form):
    logo = forms.FileField(
        label="Logo", help_text=f"PNG, JPEG or WebP, at most {MAX_BYTES // 1024} KB and {MAX_SIDE} x {MAX_SIDE} px",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        error_messages={"required": "Logo: choose an image file.", "empty": "Logo: the file is empty."})

    def clean_logo(self) -> bytes:
        upload = self.cleaned_data["logo"]
        # The size first, from the upload's own count: an oversized file is refused without reading it.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"Logo: at most {MAX_BYTES // 1024} KB (this file is {upload.size // 1024} KB).")
        data = upload.read(MAX_BYTES + 1)
        try:
            inspect(data)
        except ImageError as error:
            raise forms.ValidationError(f"Logo: {error}.") from None
        return data
