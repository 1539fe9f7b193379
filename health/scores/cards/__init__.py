"""The scorecard pages (issue 14): the list, create and edit with a preview on current data before saving,
the versions table, and "Recompute now"."""
