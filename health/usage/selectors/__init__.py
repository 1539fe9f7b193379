"""Reads of product usage: ``adoption`` (METRICS.md "Adoption" over the rollups), ``first_days`` (the
first-90-days list) and ``catalog`` (the catalog page)."""
