"""Reads of product usage: ``adoption`` (METRICS.md "Adoption" over the rollups: the figures per account, the
seat funnel, the trained-contacts hook, and each figure's definition), ``account_usage`` (the account usage
tab's weekly trend, features, milestones, per-contact usage and the ``GET accounts/{id}/usage`` body),
``first_days`` (the first-90-days list) and ``catalog`` (the catalog page)."""
