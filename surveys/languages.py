"""Language codes of survey texts and responses (BCP-47-ish: ``en``, ``pt-BR``, ``zh-Hant``) and the
fallback a reader's language follows: the language itself, its base language (``pt-BR`` -> ``pt``),
the survey's default language, then any text the survey has."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

MAX_LANGUAGE = 16
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


def language_error(code: str) -> str | None:
    if len(code) > MAX_LANGUAGE or not LANGUAGE_RE.match(code):
        return "a language code such as en, tr or pt-BR (2-3 lowercase letters, optional -region)"
    return None


def validate_language(code: str) -> None:
    if message := language_error(code):
        raise ValidationError(message)


def fallback_order(requested: str | None, default: str) -> list[str]:
    """The codes to try, in order, without repeats (matching ignores case: ``pt-br`` is ``pt-BR``)."""
    order: list[str] = []
    for code in (requested, (requested or "").split("-")[0], default):
        if code and code.lower() not in order:
            order.append(code.lower())
    return order


def resolve(requested: str | None, default: str, available: Iterable[str]) -> str | None:
    """The available code a reader of ``requested`` gets, or None if there is none at all."""
    by_lower = {code.lower(): code for code in sorted(available)}
    for code in fallback_order(requested, default):
        if code in by_lower:
            return by_lower[code]
    return next(iter(by_lower.values()), None)


# The languages whose page and email wording ship with the product (surveys.public, surveys.sending).
SHIPPED = ("en", "tr", "zh-Hans", "ta")


def pick(translations: dict[str, str], requested: str | None, default: str = "en") -> str:
    """One catalog entry's wording for a reader of ``requested`` (``{"en": ..., "tr": ...}``), by the same
    fallback as survey texts; a Chinese reader (``zh``, ``zh-CN``) gets ``zh-Hans``."""
    if requested and requested.lower().split("-")[0] == "zh" and requested.lower() not in (
            k.lower() for k in translations):
        requested = "zh-Hans"
    code = resolve(requested, default, translations)
    return translations[code] if code else ""
