"""Support cost entries (cost per interaction) and the QA peer-review program (issue 5)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.tenancy import TenantOwnedModel


class QaRubric(TenantOwnedModel):
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="support_qarubric_unique_name")]

    def __str__(self) -> str:
        return self.name


class QaCriterion(TenantOwnedModel):
    """One line of a rubric, scored 0..max_score; its weight sets its share of the review's score."""

    rubric = models.ForeignKey(QaRubric, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)])
    max_score = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(100)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rubric", "name"], name="support_qacriterion_unique_name"),
        ]


class QaReview(TenantOwnedModel):
    """A reviewer's scoring of one ticket's replies by one agent. ``score`` (0-100) is the weighted mean
    of the criteria scores, stored when the review is submitted. Two reviews of the same ticket and
    agent by different reviewers are a calibration pair."""

    class Source(models.TextChoices):
        RANDOM = "random", "Random sample"
        STRATIFIED = "stratified", "Stratified sample"
        LOW_CSAT = "low_csat", "Low CSAT"
        MANUAL = "manual", "Chosen by a reviewer"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SUBMITTED = "submitted", "Submitted"

    ticket = models.ForeignKey("support.Ticket", on_delete=models.CASCADE, related_name="qa_reviews")
    agent = models.ForeignKey("support.Agent", on_delete=models.CASCADE, related_name="qa_reviews")
    rubric = models.ForeignKey(QaRubric, on_delete=models.RESTRICT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    score = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "ticket", "agent", "reviewer"], name="support_qareview_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "created_at"], name="support_qareview_queue"),
            models.Index(fields=["tenant", "agent", "submitted_at"], name="support_qareview_agent"),
        ]


class QaScore(TenantOwnedModel):
    review = models.ForeignKey(QaReview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(QaCriterion, on_delete=models.RESTRICT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "review", "criterion"], name="support_qascore_unique"),
        ]
