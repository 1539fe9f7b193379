"""CSM tasks (issue 12, the closed loop; later health alerts, issue 14): a to-do on an account, for a CSM,
due on a local day, done by someone at some moment. Not ``tasks.py``: that name means Celery here."""
