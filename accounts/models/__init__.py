from accounts.models.customers import Contact, CustomerAccount, KnowledgeLevel, LifecycleStage
from accounts.models.jobs import Job
from accounts.models.tenants import ApiKey, Membership, Role, Tenant
from accounts.subscriptions.models import PeriodKind, SubscriptionPeriod
from accounts.timeline.models import AccountNote, NoteKind
from accounts.worklist.models import CsmTask, CsmTaskChange, CsmTaskComment

__all__ = [
    "AccountNote",
    "ApiKey",
    "Contact",
    "CsmTask",
    "CsmTaskChange",
    "CsmTaskComment",
    "CustomerAccount",
    "Job",
    "KnowledgeLevel",
    "LifecycleStage",
    "Membership",
    "NoteKind",
    "PeriodKind",
    "Role",
    "SubscriptionPeriod",
    "Tenant",
]
