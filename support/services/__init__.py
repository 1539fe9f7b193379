"""Every write of the support app (DESIGN.md: keyword-only, typed, atomic), one module per subject:
``agents`` (agents, teams, presence), ``identities`` (matching and merging contacts), ``records``
(tickets, interactions, status and assignment history)."""
