"""What the learning report pages show: each figure with its METRICS.md definition, durations a person reads,
and the funnel chart. No queries here: learning.reports.views fetches, this module formats."""

from __future__ import annotations

from typing import Any

from cs_platform.web.charts import Bar, horizontal_bars

# Each figure's definition, shown next to it (title attribute and numbered footnote). The first sentence
# quotes METRICS.md "Learning"; what follows says how the report applies it (learning.reports.selectors).
DEFINITIONS: dict[str, str] = {
    "enrolled": "Enrolled: enrollments created in the period (by enrolled_at, tenant time zone), withdrawn ones "
                "included; every other figure of the row is over these enrollments (the cohort).",
    "started": "Started: enrollments of the cohort with any step done (or completed), whenever done.",
    "completed": "Completed: enrollments of the cohort with every required step done (or completed by an "
                 "external LMS), whenever completed.",
    "completion_rate": "Completion rate: completed / enrolled, over enrollments created in the period (a cohort).",
    "time_to_complete": "Time to complete: completed_at - enrolled_at over the cohort's completed enrollments; "
                        "count, mean, median and p90 (percentiles interpolated linearly between ranks).",
    "median_time": "Median time to complete: the median of completed_at - enrolled_at over the cohort's "
                   "completed enrollments.",
    "withdrawn": "Withdrawn: enrollments of the cohort that re-targeting withdrew before they started; they "
                 "count as enrolled.",
    "dropoff": "Drop-off by step: per step, enrollments that reached the step and did not complete it. Reached = "
               "did the step, did a later step, or did every required step before it. Over the cohort without "
               "withdrawn enrollments, each on its own version's steps, grouped by step key across versions.",
    "step_done": "Per step: enrollments of the cohort (withdrawn excluded) that completed the step.",
    "trained": "Trained users: contacts who completed at least one path (ever, as of now).",
    "trained_coverage": "Trained coverage: trained users / seats purchased (seats summed over the accounts that "
                        "record them; blank when none does).",
}


def duration(seconds: float | None) -> str:
    """E.g. ``3 d 4 h``, ``2 h 5 min``, ``40 s``; an em dash for no value."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def funnel_chart(figures: dict[str, Any], steps: list[dict[str, Any]], *, path_name: str) -> Any:
    """Enrolled -> started -> completed, then per step (current version's order) the enrollments that did it."""
    bars = [Bar(label="Enrolled", value=figures["enrolled"], title=f"Enrolled: {figures['enrolled']}"),
            Bar(label="Started", value=figures["started"], title=f"Started: {figures['started']}"),
            Bar(label="Completed", value=figures["completed"], title=f"Completed: {figures['completed']}")]
    for i, step in enumerate(steps, start=1):
        label = f"{i}. {step['title']}" if step["position"] is not None else f"(old) {step['title']}"
        bars.append(Bar(label=label, value=step["done"], title=f"Step “{step['title']}” completed: {step['done']}",
                        muted=True))
    return horizontal_bars(bars, aria_label=f"Funnel of {path_name}: enrolled {figures['enrolled']}, started "
                                            f"{figures['started']}, completed {figures['completed']}, then "
                                            "completions per step")
