from accounts.models.customers import Contact, CustomerAccount, KnowledgeLevel, LifecycleStage
from accounts.models.jobs import Job
from accounts.models.tenants import ApiKey, Membership, Role, Tenant
from accounts.timeline.models import AccountNote, NoteKind

__all__ = [
    "AccountNote",
    "ApiKey",
    "Contact",
    "CustomerAccount",
    "Job",
    "KnowledgeLevel",
    "LifecycleStage",
    "Membership",
    "NoteKind",
    "Role",
    "Tenant",
]
