from accounts.models.customers import Contact, CustomerAccount, KnowledgeLevel, LifecycleStage
from accounts.models.jobs import Job
from accounts.models.tenants import ApiKey, Membership, Role, Tenant

__all__ = [
    "ApiKey",
    "Contact",
    "CustomerAccount",
    "Job",
    "KnowledgeLevel",
    "LifecycleStage",
    "Membership",
    "Role",
    "Tenant",
]
