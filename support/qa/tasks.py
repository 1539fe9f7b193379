"""Weekly QA sampling (issue 5): a fan-out over tenants and the per-tenant task that builds the sample."""

from __future__ import annotations

from celery import shared_task

from accounts.tenancy import current_tenant, fan_out_per_tenant, tenant_task
from support.qa.services import sample_for_week


@shared_task(name="support.qa_tasks.sample_qa_reviews_all_tenants")
def sample_qa_reviews_all_tenants() -> int:
    return fan_out_per_tenant(sample_qa_reviews)


@shared_task(name="support.qa_tasks.sample_qa_reviews")
@tenant_task
def sample_qa_reviews(tenant_id: int) -> dict:
    result = sample_for_week(tenant=current_tenant())
    if result is None:
        return {"skipped": "no active rubric"}
    return {"stratified": result.stratified, "low_csat": result.low_csat}
