"""Triggers of surveys (issue 12): what creates ``scheduled`` invitations, or records them ``suppressed``
with a reason: a resolved ticket (transactional CSAT, resolution.py), a relationship campaign's drip
(campaigns.py); and the ticket page's CSAT panel with the agent's per-ticket skip."""
