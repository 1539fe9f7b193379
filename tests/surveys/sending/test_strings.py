"""The email catalog ships every key in every shipped language, with the same placeholders as English."""

from __future__ import annotations

import string

from surveys.languages import SHIPPED
from surveys.sending.strings import STRINGS, text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_in_every_shipped_language_with_the_same_placeholders():
    for key, translations in STRINGS.items():
        assert set(translations) == set(SHIPPED), key
        for language, wording in translations.items():
            assert wording.strip(), (key, language)
            assert _fields(wording) == _fields(translations["en"]), (key, language)


def test_lookup_follows_the_language_fallback():
    assert text("opt_out", "tr-TR") == STRINGS["opt_out"]["tr"]
    assert text("opt_out", "zh-CN") == STRINGS["opt_out"]["zh-Hans"]
    assert text("opt_out", "de") == STRINGS["opt_out"]["en"]
    assert text("expires", "ta", date="2026-04-07") == "இந்த இணைப்பு 2026-04-07 வரை செயல்படும்."


def test_a_tenant_name_with_a_line_break_still_makes_a_one_line_subject():
    import datetime as dt

    from accounts.models import Tenant
    from surveys.models import Survey
    from surveys.sending.emails import invitation_email

    email = invitation_email(tenant=Tenant(name="Acme\r\nBcc: x@evil.example", timezone="UTC"),
                             survey=Survey(kind="ces", brand_colour="#112233"), question="Easy?", language="en",
                             contact_name="", token="A" * 22, expires_at=dt.datetime(2026, 4, 7, tzinfo=dt.UTC))
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.body_text.count("?score=") == 7 and "Hello," in email.body_text
