"""Every periodic task of the platform, in one place (DESIGN.md)."""

from celery.schedules import crontab

SCHEDULE = {
    "prune-finished-jobs": {
        "task": "accounts.tasks.prune_finished_jobs",
        "schedule": crontab(minute=17, hour=3),
    },
    # Usage-event partitions: this month and the next two exist before their events arrive.
    "create-usage-partitions": {
        "task": "health.tasks.create_usage_partitions",
        "schedule": crontab(minute=7, hour=0),
    },
    # Retention: each tenant's old events go first; an hour later, the partitions left empty.
    "enforce-usage-retention": {
        "task": "health.tasks.enforce_usage_retention",
        "schedule": crontab(minute=37, hour=3),
    },
    "drop-expired-usage-partitions": {
        "task": "health.tasks.drop_expired_usage_partitions",
        "schedule": crontab(minute=37, hour=4),
    },
    # Usage rollups: ingestion enqueues its own merge; this catches batches whose enqueue failed (broker down).
    "merge-usage-rollups": {
        "task": "health.tasks.merge_all_usage_rollups",
        "schedule": crontab(minute="*/10"),
    },
    # SLA: warnings before and breaches of due times, recorded per tenant.
    "check-sla": {
        "task": "support.tasks.check_sla_all_tenants",
        "schedule": crontab(minute="*/5"),
    },
    # Knowledge base: settle deflection of suggestions sent 7 days ago.
    "decide-kb-deflections": {
        "task": "support.tasks.decide_deflections_all_tenants",
        "schedule": crontab(minute=23, hour="*"),
    },
    # Safety net of the ticket-creation hook: SLA and KB qualification of recent tickets that have neither.
    "catch-up-new-tickets": {
        "task": "support.tasks.catch_up_new_tickets_all_tenants",
        "schedule": crontab(minute="*/15"),
    },
    # QA peer reviews: every Monday, a sample of last week's resolved tickets per tenant.
    "sample-qa-reviews": {
        "task": "support.qa_tasks.sample_qa_reviews_all_tenants",
        "schedule": crontab(minute=41, hour=5, day_of_week=1),
    },
    # Surveys: resolved tickets' CSAT invitations (and cancels for reopened or merged tickets), every minute.
    "schedule-csat": {
        "task": "surveys.triggers.schedule_csat_all_tenants",
        "schedule": crontab(minute="*"),
    },
    # Surveys: running campaigns invite their segment's contacts (drip over the window, recurring rounds).
    "run-survey-campaigns": {
        "task": "surveys.triggers.run_campaigns_all_tenants",
        "schedule": crontab(minute="*/5"),
    },
    # Surveys: due invitations decided (fatigue budget, opt-out, ticket state) and their emails delivered.
    "send-surveys": {
        "task": "surveys.sending.tasks.send_surveys_all_tenants",
        "schedule": crontab(minute="*"),
    },
    # The surveys' closed loop: low responses of the last 7 days whose follow-up task the write hook missed.
    "sweep-survey-follow-ups": {
        "task": "surveys.loop.tasks.sweep_follow_ups_all_tenants",
        "schedule": crontab(minute="*/10"),
    },
    # Learning: invitations of newly enrolled contacts and reminders of stalled learners, queued in the
    # surveys' outbox (one email per contact per run; a rerun sends nothing twice).
    "send-learning-emails": {
        "task": "learning.emails.tasks.send_learning_emails_all_tenants",
        "schedule": crontab(minute="*/5"),
    },
    # Learning: product tasks that the post-merge completion missed (a failure, a lost process, a stale cache).
    "sweep-product-tasks": {
        "task": "learning.tasks.sweep_product_tasks_all_tenants",
        "schedule": crontab(minute="*/10"),
    },
    # Health scores: every account's score for yesterday and today local.
    "recompute-health-nightly": {
        "task": "health.scores.tasks.recompute_health_all_tenants",
        "schedule": crontab(minute=13, hour=2),
    },
    # Health scores: the accounts marked dirty by a change (events merged, tickets, answers, completions,
    # account edits, subscriptions) recomputed soon after; tenants without marks get no task.
    "recompute-health-dirty": {
        "task": "health.scores.tasks.recompute_dirty_all_tenants",
        "schedule": crontab(),
    },
    # Health overrides past their expiry get their end written (reads already treat them as ended).
    "end-expired-health-overrides": {
        "task": "health.scores.tasks.end_expired_overrides_all_tenants",
        "schedule": crontab(minute="*/10"),
    },
}
