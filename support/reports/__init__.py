"""Support metrics (METRICS.md "Interactions and tickets"): the one report selector, its distributions,
who sees which rows, support costs, the report pages and ``GET /api/v1/reports/support``."""
