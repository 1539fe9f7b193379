"""Relationship campaigns (NPS, or any kind) to the contacts of a segment of accounts: writes (keyword-only,
typed, atomic) and the reads of their pages.

- The segment is the account list's filters (accounts.forms.AccountFilterForm: search, stage, tier,
  owner CSM, renewal window), stored as the form's raw values and read back through the same form and
  accounts.selectors.account_list, so "the accounts the list shows for these filters" is one definition.
  A filter that no longer validates (an owner who left) is dropped, as on the list.
- ``run_campaigns`` (beat, every few minutes) invites, for every running campaign, every contact of the
  segment's accounts that is due: one that has no invitation of the campaign yet, or, when the campaign
  recurs, whose latest of (last answer to the campaign's survey, last invitation of the campaign's due
  time) is more than ``repeat_months`` ago: so a contact is asked again that long after their answer,
  or after the invitation they left unanswered. Invitations stopped by a pause do not count: resuming
  invites those contacts again.
- Drip: the contacts one run finds, in contact id order, get ``send_after`` spread evenly over
  ``window_days`` from that run (the first run is the start; a contact who joins the segment later is
  spread from the run that finds them). The sender applies the fatigue budget and opt-outs at send time.
- A campaign that does not recur is finished once a run leaves nobody to invite; its invitations keep
  dripping out. Pausing stops new ones and marks the not-yet-sent ones ``suppressed(campaign_stopped)``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Greatest

from accounts.forms import AccountFilterForm
from accounts.selectors import account_list, contact_list
from surveys.models import Campaign, Invitation, InvitationStatus, SuppressionReason, Survey, SurveyResponse, Trigger

if TYPE_CHECKING:
    from accounts.models import Tenant

SEGMENT_FIELDS = ("q", "stage", "tier", "owner", "renewal")
MAX_INVITES_PER_RUN = 5000  # per campaign and run: a huge segment is invited over several runs (drip anyway)


class CampaignError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, kw_only=True)
class CampaignData:
    survey: Survey
    name: str
    segment: dict[str, str]
    window_days: int
    repeat_months: int | None


def clean_segment(segment: dict[str, Any]) -> dict[str, str]:
    """The segment's filters as the account list's form takes them (strings, the known keys, blanks out)."""
    return {key: str(segment[key]) for key in SEGMENT_FIELDS if segment.get(key) not in (None, "")}


def segment_form(*, tenant: Tenant, segment: dict[str, Any] | None) -> AccountFilterForm:
    """The account list's filter form bound to ``segment`` (the campaign form shows it; the runs read it)."""
    return AccountFilterForm(clean_segment(segment or {}) | {"show": "all"}, tenant=tenant)


def segment_accounts(*, tenant: Tenant, segment: dict[str, Any]) -> QuerySet:
    form = segment_form(tenant=tenant, segment=segment)
    form.is_valid()  # invalid filters are left out of cleaned_data: dropped, as on the account list
    kwargs = form.selector_kwargs()
    kwargs.pop("sort", None)
    return account_list(tenant=tenant, **kwargs)


def segment_contacts(*, tenant: Tenant, segment: dict[str, Any]) -> QuerySet:
    """The contacts of the segment's accounts, in id order (the drip order)."""
    accounts = segment_accounts(tenant=tenant, segment=segment).order_by().values("pk")
    return contact_list(tenant=tenant).filter(account__in=accounts).order_by("pk")


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` ``months`` calendar months earlier, the day clamped to the month's length (31 Aug - 6 = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _validate(data: CampaignData) -> None:
    if not data.survey.is_active:
        raise CampaignError("survey", "the survey is deactivated: choose an active one")
    if not 0 <= data.window_days <= 90:
        raise CampaignError("window_days", "from 0 to 90 days")
    if data.repeat_months is not None and not 1 <= data.repeat_months <= 36:
        raise CampaignError("repeat_months", "from 1 to 36 months, or empty for once")


def save_campaign(*, tenant: Tenant, campaign: Campaign | None, data: CampaignData,
                  by: AbstractBaseUser | None) -> Campaign:
    """Create (``campaign`` None, as a draft) or edit a campaign. A finished campaign is not edited: start a
    new one (its counts describe what it was)."""
    _validate(data)
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(tenant=tenant, created_by=by)
        else:
            campaign = Campaign.objects.select_for_update().get(tenant=tenant, pk=campaign.pk)
            if campaign.status == Campaign.Status.FINISHED:
                raise CampaignError("status", "a finished campaign is not edited: create a new one")
        campaign.survey, campaign.name = data.survey, data.name
        campaign.segment = clean_segment(data.segment)
        campaign.window_days, campaign.repeat_months = data.window_days, data.repeat_months
        campaign.save()
    return campaign


def start_campaign(*, tenant: Tenant, campaign: Campaign, by: AbstractBaseUser | None,
                   now: dt.datetime) -> Campaign:
    """Draft or paused -> running (who and when recorded); the next run invites."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(tenant=tenant, pk=campaign.pk)
        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.PAUSED):
            raise CampaignError("status", f"a {campaign.get_status_display().lower()} campaign cannot be started")
        if not campaign.survey.is_active:
            raise CampaignError("survey", "the survey is deactivated: activate it or choose another")
        campaign.status, campaign.started_at, campaign.started_by = Campaign.Status.RUNNING, now, by
        campaign.save(update_fields=["status", "started_at", "started_by", "updated_at"])
    return campaign


def pause_campaign(*, tenant: Tenant, campaign: Campaign, by: AbstractBaseUser | None,
                   now: dt.datetime) -> int:
    """Running -> paused: no new invitations, and the scheduled ones suppressed(campaign_stopped).
    Answers how many were stopped."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(tenant=tenant, pk=campaign.pk)
        if campaign.status != Campaign.Status.RUNNING:
            raise CampaignError("status", "only a running campaign can be paused")
        campaign.status, campaign.paused_by = Campaign.Status.PAUSED, by
        campaign.save(update_fields=["status", "paused_by", "updated_at"])
        return Invitation.objects.filter(tenant=tenant, campaign=campaign, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.CAMPAIGN_STOPPED,
            suppressed_at=now, updated_at=now)


def due_contacts(*, tenant: Tenant, campaign: Campaign, now: dt.datetime) -> QuerySet:
    """The segment's contacts that this campaign should invite now (module docstring), in id order."""
    own = Invitation.objects.filter(tenant=tenant, campaign=campaign, contact=OuterRef("pk")).exclude(
        status=InvitationStatus.SUPPRESSED, suppressed_reason=SuppressionReason.CAMPAIGN_STOPPED)
    contacts = segment_contacts(tenant=tenant, segment=campaign.segment)
    if campaign.repeat_months is None:
        return contacts.exclude(Exists(own))
    last_invited = own.order_by().values("contact").annotate(at=Max("send_after")).values("at")
    last_answer = (SurveyResponse.objects.filter(tenant=tenant, survey_id=campaign.survey_id, contact=OuterRef("pk"))
                   .order_by().values("contact").annotate(at=Max("submitted_at")).values("at"))
    # PostgreSQL's GREATEST ignores NULLs: a contact never answered counts from the last invitation.
    anchor = Greatest(Subquery(last_invited), Subquery(last_answer))
    return (contacts.annotate(anchor=anchor)
            .filter(Q(anchor__isnull=True) | Q(anchor__lt=months_before(now, campaign.repeat_months))))


def run_campaign(*, tenant: Tenant, campaign: Campaign, now: dt.datetime) -> int:
    """One run of one campaign (locked, so two runs take turns): invite the due contacts, spread over the
    window; finish a one-off campaign that has nobody left. Answers how many were invited."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("survey").get(tenant=tenant, pk=campaign.pk)
        if campaign.status != Campaign.Status.RUNNING:
            return 0
        due = list(due_contacts(tenant=tenant, campaign=campaign, now=now)
                   .values_list("pk", "account_id")[:MAX_INVITES_PER_RUN])
        window = dt.timedelta(days=campaign.window_days)
        step = window / len(due) if due else window
        Invitation.objects.bulk_create([
            Invitation(tenant=tenant, survey_id=campaign.survey_id, contact_id=contact_id, account_id=account_id,
                       campaign=campaign, trigger=Trigger.CAMPAIGN, send_after=now + step * i)
            for i, (contact_id, account_id) in enumerate(due)])
        campaign.last_run_at = now
        if (campaign.repeat_months is None and len(due) < MAX_INVITES_PER_RUN
                and not due_contacts(tenant=tenant, campaign=campaign, now=now).exists()):
            campaign.status = Campaign.Status.FINISHED
        campaign.save(update_fields=["last_run_at", "status", "updated_at"])
    return len(due)


def run_campaigns(*, tenant: Tenant, now: dt.datetime) -> int:
    """Every running campaign of the tenant, each in its own transaction. Answers how many were invited."""
    running = Campaign.objects.filter(tenant=tenant, status=Campaign.Status.RUNNING).order_by("pk")
    return sum(run_campaign(tenant=tenant, campaign=c, now=now) for c in running)


# ----------------------------------------------------------------------------------------------- reads


def campaign_list(*, tenant: Tenant) -> QuerySet:
    """Campaigns with their survey and ``invited`` / ``answered`` counts: one query."""
    return (Campaign.objects.filter(tenant=tenant).select_related("survey")
            .annotate(invited=Count("invitations"),
                      answered=Count("invitations", filter=Q(invitations__status=InvitationStatus.ANSWERED)))
            .order_by("-created_at", "-id"))


@dataclass(frozen=True)
class CampaignCounts:
    scheduled: int
    sent: int
    answered: int
    suppressed: list[tuple[str, int]]  # (reason label, count), largest first

    @property
    def suppressed_total(self) -> int:
        return sum(n for _, n in self.suppressed)

    @property
    def invited(self) -> int:
        return self.scheduled + self.sent + self.answered + self.suppressed_total


COUNT_DEFINITIONS = {
    "scheduled": "invitations waiting for their drip time (send_after), not sent yet",
    "sent": "invitations emailed and not answered (yet)",
    "answered": "invitations whose contact answered (from the email or the page)",
    "suppressed": "invitations not sent, by reason (fatigue budget, opt-out, no email, the campaign paused...)",
}


def campaign_counts(*, tenant: Tenant, campaign: Campaign) -> CampaignCounts:
    rows = (Invitation.objects.filter(tenant=tenant, campaign=campaign).order_by()
            .values_list("status", "suppressed_reason").annotate(n=Count("*")))
    by_status: dict[str, int] = {}
    labels = dict(SuppressionReason.choices)
    suppressed = []
    for status, reason, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == InvitationStatus.SUPPRESSED:
            suppressed.append((labels.get(reason, reason), n))
    return CampaignCounts(scheduled=by_status.get(InvitationStatus.SCHEDULED, 0),
                          sent=by_status.get(InvitationStatus.SENT, 0),
                          answered=by_status.get(InvitationStatus.ANSWERED, 0),
                          suppressed=sorted(suppressed, key=lambda r: (-r[1], r[0])))


def describe_segment(*, tenant: Tenant, segment: dict[str, Any]) -> list[tuple[str, str]]:
    """The segment's filters in words, as (label, value) pairs ([] = every account)."""
    form = segment_form(tenant=tenant, segment=segment)
    form.is_valid()
    described = []
    for name in SEGMENT_FIELDS:
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        field = form.fields[name]
        if hasattr(field, "label_from_instance"):
            shown = field.label_from_instance(value)
        else:
            shown = dict(getattr(field, "choices", ())).get(value, value)
        described.append((str(field.label), str(shown)))
    return described


@dataclass(frozen=True)
class SegmentPreview:
    accounts: int
    contacts: int
    with_email: int


def segment_preview(*, tenant: Tenant, segment: dict[str, Any]) -> SegmentPreview:
    """How many accounts and contacts the segment matches now (before start: who would be invited)."""
    contacts = segment_contacts(tenant=tenant, segment=segment).order_by()
    figures = contacts.aggregate(n=Count("pk"), with_email=Count("pk", filter=~Q(email="")))
    return SegmentPreview(accounts=segment_accounts(tenant=tenant, segment=segment).count(),
                          contacts=figures["n"], with_email=figures["with_email"])
