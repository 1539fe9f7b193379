"""A quiz step's definition: a bounded JSON document, validated here before it is stored.

``{"questions": [{"text", "multiple": bool, "choices": [{"text", "correct": bool, "feedback"}]}],
"passing_score": 0-100 (percent of questions right), "max_attempts": 1-10 (0 = unlimited)}``
"""

from __future__ import annotations

from typing import Any

MAX_QUESTIONS = 50
MAX_CHOICES = 10
MAX_TEXT = 500


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        raise ValueError(f"{where}: a text of {'1' if required else '0'} to {MAX_TEXT} characters")
    return value.strip()


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{where}: a whole number from {low} to {high}")
    return value


def clean_quiz(quiz: Any) -> dict:
    """The quiz as stored, or a ValueError naming the part that is wrong."""
    if not isinstance(quiz, dict):
        raise ValueError("a quiz with questions")
    questions = quiz.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        raise ValueError(f"questions: 1 to {MAX_QUESTIONS}")
    out = []
    for qi, question in enumerate(questions):
        where = f"questions[{qi}]"
        if not isinstance(question, dict):
            raise ValueError(f"{where}: a question")
        choices = question.get("choices")
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise ValueError(f"{where}.choices: 2 to {MAX_CHOICES}")
        clean_choices = []
        for ci, choice in enumerate(choices):
            if not isinstance(choice, dict):
                raise ValueError(f"{where}.choices[{ci}]: a choice")
            clean_choices.append({"text": _text(choice.get("text"), f"{where}.choices[{ci}].text"),
                                  "correct": bool(choice.get("correct")),
                                  "feedback": _text(choice.get("feedback"), f"{where}.choices[{ci}].feedback",
                                                    required=False)})
        right = sum(c["correct"] for c in clean_choices)
        multiple = bool(question.get("multiple"))
        if right == 0 or (not multiple and right != 1):
            raise ValueError(f"{where}.choices: {'at least one' if multiple else 'exactly one'} correct choice")
        out.append({"text": _text(question.get("text"), f"{where}.text"), "multiple": multiple,
                    "choices": clean_choices})
    return {"questions": out,
            "passing_score": _int(quiz.get("passing_score", 80), "passing_score", 0, 100),
            "max_attempts": _int(quiz.get("max_attempts", 0), "max_attempts", 0, 10)}


def score(quiz: dict, answers: list[list[int]]) -> int:
    """Percent of questions answered exactly right (a multiple-choice question needs its whole set)."""
    questions = quiz["questions"]
    right = 0
    for question, chosen in zip(questions, answers, strict=False):
        correct = {i for i, c in enumerate(question["choices"]) if c["correct"]}
        right += set(chosen) == correct
    return round(100 * right / len(questions))
