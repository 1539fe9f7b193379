"""The closed loop (issue 12, METRICS.md "time to close the loop"): a detractor (NPS <= 6) or a low CSAT
(<= 2) opens a follow-up task for the account's CSM (accounts.worklist); the loop is closed by the first
outbound contact with that contact after the answer, or by the task's completion."""
