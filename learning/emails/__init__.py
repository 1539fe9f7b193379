"""Learning emails (issue 13): the invitation of newly enrolled contacts and reminders for stalled learners,
queued in the surveys' outbox; the tenant's learning policy and its settings page."""
