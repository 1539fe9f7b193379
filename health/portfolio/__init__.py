"""The portfolio page (issue 14): the health of a CSM's (or every) book of accounts, from health.HealthScore."""
