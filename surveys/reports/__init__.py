"""Survey results (issue 12, "Results and the closed loop"): the report behind ``GET /api/v1/reports/surveys``
and the report pages, the comments list and the non-responders."""
