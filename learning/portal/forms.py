"""What the portal's forms accept, checked by hand (like the survey page's, surveys.public.forms) so that each
message comes from the portal's catalog in the reader's language; every value is bounded before it is used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_EMAIL = 254
MAX_CHOICE_DIGITS = 2  # learning.quizzes.MAX_CHOICES is 10: indexes 0-9


@dataclass(frozen=True)
class FieldError:
    field: str  # the POST name: email, q-0, q-1...
    key: str  # the catalog key of the message
    params: dict = field(default_factory=dict)


def parse_email(raw: object) -> tuple[str | None, FieldError | None]:
    """A plausible email address, lower-cased (contacts are matched ignoring case)."""
    if not isinstance(raw, str) or len(raw) > MAX_EMAIL or "\x00" in raw:
        return None, FieldError("email", "error_email")
    email = raw.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return None, FieldError("email", "error_email")
    return email, None


def question_field(index: int) -> str:
    return f"q-{index}"


def parse_quiz(data: Mapping, quiz: dict) -> tuple[list[list[int]] | None, list[FieldError]]:
    """One list of chosen choice indexes per question, from the radio buttons / checkboxes ``q-<n>``."""
    answers, errors = [], []
    for index, question in enumerate(quiz["questions"]):
        name = question_field(index)
        raw = data.getlist(name) if hasattr(data, "getlist") else []
        chosen = set()
        for value in raw[:len(question["choices"]) + 1]:
            if not (value.isascii() and value.isdigit()) or len(value) > MAX_CHOICE_DIGITS \
                    or int(value) >= len(question["choices"]):
                chosen = None
                break
            chosen.add(int(value))
        if not chosen or len(raw) > len(question["choices"]):
            errors.append(FieldError(name, "error_choose"))
        elif not question["multiple"] and len(chosen) != 1:
            errors.append(FieldError(name, "error_choose_one"))
        else:
            answers.append(sorted(chosen))
    return (None, errors) if errors else (answers, [])
