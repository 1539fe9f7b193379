"""Learning paths (issue 13): authoring with immutable versions, targeting, enrollments, the learner portal's
links and sessions, quiz attempts, lesson images.

A path's steps live in a ``PathVersion``. The draft is the one version with ``number`` null; publishing
freezes a copy of it as the next number, so an enrollment pinned to a version never sees an edit (the
learner finishes the version they started unless the author migrates them).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from accounts.models import Contact
from accounts.tenancy import TenantOwnedModel
from surveys.branding.images import CONTENT_TYPES, MAX_BYTES, MAX_SIDE

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_BODY = 100_000
MAX_EVENT_NAME = 128
MAX_STEPS = 100
MAX_PRIORITY = 1000
MAX_SLUG = 100
MAX_STEP_KEY = 64


class SupportAction(models.TextChoices):
    """What a ticket answered with one of the path's knowledge-base articles does for its contact."""

    NONE = "none", "Nothing"
    RECOMMEND = "recommend", "Recommend the path in the reply"
    ENROLL = "enroll", "Enroll the contact"


class LearningPath(TenantOwnedModel):
    """``is_published`` says whether targeting enrolls anyone; ``current_version`` is the newest published
    version, the one new enrollments are pinned to (it stays set after an unpublish, for history)."""

    name = models.CharField(max_length=MAX_NAME)
    # Stable name for the API (``POST /learning/completions`` takes ids or slugs) and the learner's URLs.
    slug = models.SlugField(max_length=MAX_SLUG)
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION)
    support_action = models.CharField(max_length=16, choices=SupportAction.choices, default=SupportAction.RECOMMEND,
                                      db_default=SupportAction.RECOMMEND)
    is_required = models.BooleanField(default=False, help_text="required paths come first for a learner")
    priority = models.PositiveIntegerField(default=100, validators=[MaxValueValidator(MAX_PRIORITY)],
                                           help_text="lower first when several paths match")
    is_published = models.BooleanField(default=False)
    current_version = models.ForeignKey("PathVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "is_published", "priority"], name="learning_path_published")]
        constraints = [
            models.CheckConstraint(condition=Q(priority__lte=MAX_PRIORITY), name="learning_path_priority_bounded"),
            models.UniqueConstraint(fields=["tenant", "slug"], name="learning_path_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name


class PathVersion(TenantOwnedModel):
    """``number`` null = the draft (one per path); numbered versions are published and never change."""

    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "path", "number"], name="learning_version_unique_number"),
            models.UniqueConstraint(fields=["tenant", "path"], condition=Q(number__isnull=True),
                                    name="learning_version_one_draft"),
            models.CheckConstraint(condition=Q(number__isnull=True) | Q(published_at__isnull=False),
                                   name="learning_version_published_has_date"),
        ]

    @property
    def is_draft(self) -> bool:
        return self.number is None

    def __str__(self) -> str:
        return f"{self.path} v{self.number}" if self.number else f"{self.path} (draft)"


class StepKind(models.TextChoices):
    LESSON = "lesson", "Lesson"
    QUIZ = "quiz", "Quiz"
    ARTICLE = "article", "Knowledge-base article"
    PRODUCT_TASK = "product_task", "Product task"


class Step(TenantOwnedModel):
    """One ordered step of a version. Per kind: a lesson has ``body_markdown`` (and its sanitized
    ``body_html``, the only form shown); a quiz has ``quiz`` (learning.quizzes validates and bounds it);
    an article step points at a knowledge-base article; a product task is done when a usage event named
    ``event_name`` arrives whose properties include every pair of ``event_match``."""

    version = models.ForeignKey(PathVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    # The step's identity across versions (kept when the author edits or moves it): migrating learners maps
    # progress by key, and an external LMS names a step by it.
    key = models.SlugField(max_length=MAX_STEP_KEY)
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    title = models.CharField(max_length=MAX_NAME)
    is_required = models.BooleanField(default=True)
    body_markdown = models.TextField(blank=True, max_length=MAX_BODY)
    body_html = models.TextField(blank=True, editable=False)
    quiz = models.JSONField(default=dict, blank=True)
    article = models.ForeignKey("support.Article", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    event_name = models.CharField(max_length=MAX_EVENT_NAME, blank=True)
    event_match = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version", "position"], name="learning_step_unique_position"),
            models.UniqueConstraint(fields=["tenant", "version", "key"], name="learning_step_unique_key"),
            models.CheckConstraint(condition=~Q(kind="product_task") | ~Q(event_name=""),
                                   name="learning_step_task_has_event"),
        ]

    def __str__(self) -> str:
        return self.title


class Prerequisite(TenantOwnedModel):
    """``path`` is offered once ``requires`` is completed."""

    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="prerequisites")
    requires = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="required_by")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "path", "requires"], name="learning_prerequisite_unique"),
            models.CheckConstraint(condition=~Q(path=models.F("requires")), name="learning_prerequisite_not_self"),
        ]


class TargetingRule(TenantOwnedModel):
    """Who a path is for; each list empty = any value. A contact matches when every non-empty list holds
    its value (learning.targeting.matches)."""

    # A foreign key with a (tenant, path) unique constraint, not a one-to-one: uniqueness starts with tenant.
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="targeting_rules")
    personas = models.JSONField(default=list, blank=True)
    knowledge_levels = models.JSONField(default=list, blank=True)
    lifecycle_stages = models.JSONField(default=list, blank=True)
    tiers = models.JSONField(default=list, blank=True)
    plans = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "path"], name="learning_targeting_one_per_path")]


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class EnrollmentSource(models.TextChoices):
    TARGETING = "targeting", "Targeting rule"
    SUPPORT = "support", "Support ticket"
    MANUAL = "manual", "By hand"
    EXTERNAL = "external", "External LMS"


class Enrollment(TenantOwnedModel):
    """``last_activity_at`` is the learner's latest step or visit (stalled learners get reminders);
    ``invited_at`` / ``reminded_at`` / ``reminders_sent`` are the emails'; ``certificate_code`` is set once on
    completion, random and globally unique, so ``/certificates/<code>/`` verifies it without a login;
    ``completion_evidence`` says how a path was completed when no step did it (an external LMS)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="enrollments")
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="enrollments")
    # RESTRICT, not PROTECT: a version in use stays, but goes with its tenant (tests/test_tenant_deletion.py).
    version = models.ForeignKey(PathVersion, on_delete=models.RESTRICT, related_name="enrollments")
    status = models.CharField(max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED)
    enrolled_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=EnrollmentSource.choices, default=EnrollmentSource.TARGETING,
                              db_default=EnrollmentSource.TARGETING)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0, db_default=0)
    certificate_code = models.CharField(max_length=32, blank=True, default="", db_default="")
    completion_evidence = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "contact", "path"], name="learning_enrollment_unique"),
            models.UniqueConstraint(fields=["tenant", "certificate_code"], condition=~Q(certificate_code=""),
                                    name="learning_certificate_code_unique"),
        ]
        indexes = [
            models.Index(fields=["tenant", "path", "status"], name="learning_enrollment_path"),
            models.Index(fields=["tenant", "enrolled_at"], name="learning_enrollment_enrolled"),
            # The certificate's public URL names no tenant: looked up by the code alone (128 random bits).
            models.Index(fields=["certificate_code"], condition=~Q(certificate_code=""),
                         name="learning_certificate_code"),
        ]


class StepProgress(TenantOwnedModel):
    """A step done; ``evidence`` says how (the matching event and when, a quiz score), bounded by the
    service that writes it."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="progress")
    done_at = models.DateTimeField()
    evidence = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, validators=[MinValueValidator(0)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "enrollment", "step"], name="learning_progress_unique"),
        ]


class QuizAttempt(TenantOwnedModel):
    """One submitted attempt at a quiz step: the choices picked per question, the score (percent right) and
    whether it passed; ``StepProgress`` is written by the first passing attempt."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="quiz_attempts")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="quiz_attempts")
    answers = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    passed = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "enrollment", "step"], name="learning_attempt_step")]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="learning_attempt_score_bounded")]


class LinkPurpose(models.TextChoices):
    SIGN_IN = "sign_in", "Sign-in request"
    INVITATION = "invitation", "Invitation email"
    REMINDER = "reminder", "Reminder email"


class LearnerLink(TenantOwnedModel):
    """A magic link to the learner portal: single use (``used_at``), expiring, stored as the token's SHA-256
    only (learning.portal). The token names its tenant, so the lookup crosses tenants on purpose."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "token_hash"], name="learning_link_unique_token")]
        # The link or cookie names no tenant: found by the token's hash alone (128 random bits).
        indexes = [models.Index(fields=["token_hash"], name="learning_link_token")]


class LearnerSession(TenantOwnedModel):
    """A signed-in learner: the learner cookie holds a random token whose SHA-256 is here. Separate from staff
    auth on purpose (a contact is not a user); sign-out sets ``ended_at``."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "token_hash"], name="learning_session_unique_token")]
        # The link or cookie names no tenant: found by the token's hash alone (128 random bits).
        indexes = [models.Index(fields=["token_hash"], name="learning_session_token")]


class LessonImage(TenantOwnedModel):
    """An image uploaded for a path's lessons, bytes in the database like the survey logos
    (surveys.branding.images checks type, size and dimensions); ``key`` is random per upload and part of the
    public URL, so it cannot be guessed from ids."""

    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="images")
    content_type = models.CharField(max_length=16)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    digest = models.CharField(max_length=64)
    key = models.CharField(max_length=32)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        # The upload check's limits kept by the database too (as for the survey logos), so no writer, the
        # admin or a script included, stores an image the public URL would refuse to serve.
        constraints = [
            models.CheckConstraint(condition=Q(content_type__in=CONTENT_TYPES), name="learning_image_content_type"),
            models.CheckConstraint(condition=Q(LessThanOrEqual(Length("data"), MAX_BYTES)), name="learning_image_size"),
            models.CheckConstraint(condition=Q(width__gte=1, width__lte=MAX_SIDE, height__gte=1, height__lte=MAX_SIDE),
                                   name="learning_image_dimensions"),
            models.UniqueConstraint(fields=["tenant", "key"], name="learning_image_unique_key"),
        ]


# The emails' policy lives in its sub-domain package; imported here so the app's models are all in one place.
from learning.emails.models import LearningPolicy  # noqa: E402, F401
