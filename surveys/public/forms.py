"""What the public page accepts from a contact, checked by hand rather than by a Django form so that every
message comes from the page's own catalog (surveys.public.strings) in the reader's language.

A bad value is reported by its field and a catalog key; nothing is written unless every field is good."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from surveys.models import MAX_COMMENT
from surveys.scales import SCALES

NUL = "\x00"
MAX_SCORE_DIGITS = 3  # "10" is the longest score; int() of a huge digit string is slow, then refused


@dataclass(frozen=True)
class FieldError:
    field: str  # the POST / query name: score, comment, followup_answer
    key: str  # the catalog key of the message
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    score: int
    comment: str = ""
    followup_answer: str = ""


def parse_score(raw: object, *, kind: str) -> tuple[int | None, FieldError | None]:
    scale = SCALES[kind]
    out_of_range = FieldError("score", "error_range", {"low": scale.low, "high": scale.high})
    if not isinstance(raw, str) or not raw.strip():
        return None, FieldError("score", "error_required")
    raw = raw.strip()
    if NUL in raw:
        return None, FieldError("score", "error_nul")
    # ASCII digits only: int() also reads "٣" or "+3", which no radio of ours sends.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_SCORE_DIGITS:
        return None, out_of_range
    score = int(raw)
    return (score, None) if scale.accepts(score) else (None, out_of_range)


def parse_text(raw: object, *, name: str) -> tuple[str, FieldError | None]:
    if raw is None:
        return "", None
    if not isinstance(raw, str):
        return "", FieldError(name, "error_nul")
    # Browsers send a textarea's line breaks as CRLF; its maxlength counts one character for each.
    text = raw.replace("\r\n", "\n").strip()
    if NUL in text:
        return "", FieldError(name, "error_nul")
    if len(text) > MAX_COMMENT:
        return "", FieldError(name, "error_too_long", {"limit": MAX_COMMENT})
    return text, None


def parse_answer(data: Mapping, *, kind: str) -> tuple[Answer | None, list[FieldError]]:
    """The page's POST: a score on the kind's scale, an optional comment and follow-up answer."""
    score, score_error = parse_score(data.get("score"), kind=kind)
    comment, comment_error = parse_text(data.get("comment"), name="comment")
    followup, followup_error = parse_text(data.get("followup_answer"), name="followup_answer")
    errors = [e for e in (score_error, comment_error, followup_error) if e is not None]
    if errors or score is None:
        return None, errors
    return Answer(score=score, comment=comment, followup_answer=followup), []
