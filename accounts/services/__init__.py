"""Every write of the accounts app (DESIGN.md: keyword-only, typed, atomic), by what it changes:
``tenants`` (tenants, members, API keys), ``customers`` (customer accounts), ``contacts`` (the contact
lifecycle: every creation, update, merge and deletion, for every source, and the "new contact" hook),
``jobs`` (job housekeeping) and ``upserts`` (the mechanics the bulk upserts share)."""
