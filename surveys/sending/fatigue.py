"""The fatigue budget: one for every survey kind (a support CSAT, a relationship NPS and a CES all draw on it).

What counts, exactly (the policy is the tenant's ``SurveyPolicy``):

- **Contact cooldown** (``contact_cooldown_days`` = N; 0 = no limit): a contact is not sent an invitation
  while another invitation was *sent* to them within the last N x 24 hours, i.e. with
  ``now - N days < sent_at <= now``. Sent means ``sent_at`` is set: invitations now ``sent`` or ``answered``,
  whatever their survey's kind, and also those whose email later bounced or could not be delivered (the
  invitation went out; the outbox shows what became of the email). Scheduled and suppressed invitations
  do not count: they reached nobody.
- **Account monthly limit** (``account_monthly_limit`` = M; empty = no limit, 0 = nothing is sent): the
  invitations *sent* for an account's contacts, counted by ``Invitation.account`` (the contact's account
  when the invitation was made), with ``sent_at`` in the calendar month that contains ``now`` in the
  tenant's time zone (``Tenant.timezone``), are fewer than M. At 00:00 local time on the 1st the count
  starts again, whatever the hour in UTC.
- **Opt-out**: the contact has an ``OptOut`` row (from any email's link, the page, the API or a person).
- **No email**: the contact's email is blank.

Invitations sent earlier in the same run count too: :class:`Budget` is loaded once per chunk with two
grouped queries (not a loop over invitations) and is then told of every send it allows.
The order of the checks, hence the reason recorded when several apply: opted out, no email, contact
cooldown, account limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Max

from surveys.sending.models import Invitation, OptOut, SuppressionReason, SurveyPolicy

if TYPE_CHECKING:
    import zoneinfo

    from accounts.models import Tenant


def month_bounds(zone: zoneinfo.ZoneInfo, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the local calendar month containing ``now``, and of the next one."""
    local = now.astimezone(zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    following = dt.datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
    return start, following


@dataclass
class Budget:
    """The state of the budget for a set of contacts and accounts at ``now``."""

    policy: SurveyPolicy
    now: dt.datetime
    last_sent: dict[int, dt.datetime] = field(default_factory=dict)  # contact id -> latest sent_at in the window
    month_sent: dict[int, int] = field(default_factory=dict)  # account id -> sent this local month
    opted_out: set[int] = field(default_factory=set)

    def reason(self, *, contact_id: int, account_id: int, email: str) -> str | None:
        """Why an invitation to this contact may not be sent now (a SuppressionReason), or None."""
        if contact_id in self.opted_out:
            return SuppressionReason.OPTED_OUT
        if not email.strip():
            return SuppressionReason.NO_EMAIL
        if self.policy.contact_cooldown_days and contact_id in self.last_sent:
            return SuppressionReason.CONTACT_COOLDOWN
        limit = self.policy.account_monthly_limit
        if limit is not None and self.month_sent.get(account_id, 0) >= limit:
            return SuppressionReason.ACCOUNT_LIMIT
        return None

    def spend(self, *, contact_id: int, account_id: int) -> None:
        """An invitation was sent (or, for the API's answer, is about to be scheduled) at ``now``."""
        self.last_sent[contact_id] = self.now
        self.month_sent[account_id] = self.month_sent.get(account_id, 0) + 1


def load_budget(*, tenant: Tenant, policy: SurveyPolicy, now: dt.datetime, contact_ids: Iterable[int],
                account_ids: Iterable[int]) -> Budget:
    """The budget of these contacts and accounts at ``now``: three queries whatever their number."""
    contact_ids, account_ids = sorted(set(contact_ids)), sorted(set(account_ids))
    budget = Budget(policy=policy, now=now)
    if not contact_ids:
        return budget
    sent = Invitation.objects.filter(tenant=tenant, sent_at__isnull=False, sent_at__lte=now)
    if policy.contact_cooldown_days:
        since = now - dt.timedelta(days=policy.contact_cooldown_days)
        budget.last_sent = dict(
            sent.filter(contact_id__in=contact_ids, sent_at__gt=since)
            .values("contact_id").annotate(last=Max("sent_at")).values_list("contact_id", "last"))
    if policy.account_monthly_limit is not None:
        start, following = month_bounds(tenant.zone, now)
        budget.month_sent = dict(
            Invitation.objects.filter(tenant=tenant, account_id__in=account_ids, sent_at__gte=start,
                                      sent_at__lt=following)
            .values("account_id").annotate(n=Count("id")).values_list("account_id", "n"))
    budget.opted_out = set(OptOut.objects.filter(tenant=tenant, contact_id__in=contact_ids)
                           .values_list("contact_id", flat=True))
    return budget
