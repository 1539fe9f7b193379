"""A quiz as the author types it, one line per question or choice, and back. Chosen over a nested formset
of questions and choices: a quiz of 10 questions of 4 choices is 50 rows of a few words, easy to type,
reorder and paste from elsewhere, and one textarea stays usable on a phone and with a screen reader.

    ? What does a pipeline run on?          (a question with one right answer)
    + A schedule | Right: pipelines run on schedules or events.
    - A spreadsheet | No: spreadsheets are imported, not run.
    ?? Which are sources?                   (a question with several right answers)
    + Postgres
    + S3
    - Slack | Slack is a destination.

``+`` marks a right choice, ``-`` a wrong one, `` | `` starts the feedback the learner sees after
answering. The result goes through learning.quizzes.clean_quiz, which bounds and checks it.
"""

from __future__ import annotations

from learning.quizzes import MAX_CHOICES, MAX_QUESTIONS

MAX_LINES = MAX_QUESTIONS * (MAX_CHOICES + 1)


class QuizTextError(ValueError):
    pass


def parse_quiz_text(text: str) -> list[dict]:
    """The questions of ``text`` (module docstring); a QuizTextError names the line that is wrong."""
    lines = (text or "").splitlines()
    if len(lines) > MAX_LINES * 2:
        raise QuizTextError(f"at most {MAX_QUESTIONS} questions of {MAX_CHOICES} choices")
    questions: list[dict] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("?"):
            multiple = line.startswith("??")
            questions.append({"text": line[2 if multiple else 1:].strip(), "multiple": multiple, "choices": []})
        elif line[0] in "+-":
            if not questions:
                raise QuizTextError(f"line {number}: a choice before any question (start a question with ?)")
            choice, _, feedback = line[1:].partition("|")
            questions[-1]["choices"].append({"text": choice.strip(), "correct": line[0] == "+",
                                             "feedback": feedback.strip()})
        else:
            raise QuizTextError(f"line {number}: start it with ? (question), ?? (several right answers), "
                                f"+ (right choice) or - (wrong choice)")
    return questions


def quiz_text_of(quiz: dict | None) -> str:
    """The text that parses back into ``quiz``'s questions."""
    lines = []
    for question in (quiz or {}).get("questions", []):
        lines.append(f"{'??' if question.get('multiple') else '?'} {question['text']}")
        for choice in question["choices"]:
            feedback = f" | {choice['feedback']}" if choice.get("feedback") else ""
            lines.append(f"{'+' if choice.get('correct') else '-'} {choice['text']}{feedback}")
    return "\n".join(lines)
