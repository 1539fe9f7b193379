"""The CSM's learning figures (issue 13, "CSM views and data"): per-path reports, trained users and persona
coverage per account, the account timeline's learning events."""
