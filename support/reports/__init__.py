"""Support metrics (METRICS.md "Interactions and tickets"): the one report selector, its distributions,
who sees which rows, support costs, the report pages and ``GET /api/v1/reports/support``.

The report: ``selectors`` (the public report functions and METRICS.md's decisions) runs the queries of
``families`` (one per family of facts), built on ``sql`` (what counts, attribution, the per-period LATERAL
builder) over the ``periods`` (tenant-local ranges and months). ``distributions`` (the duration
histograms) shares ``sql``; ``visibility`` says who sees which rows; ``display`` turns rows into cells."""
