"""Subscription periods (issue 14's minimal model; the retention issue grows the ledger and renewals here)."""
