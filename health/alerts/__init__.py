"""Alerts on account health (issue 14): rules that open CSM tasks, deduplicated per cause, and playbooks."""
