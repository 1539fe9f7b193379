"""Lesson images: uploaded per path, bytes in the database like the survey logos (surveys.branding), served
at ``/lesson-images/<tenant slug>/<id>-<random key>`` without a login, so a lesson embeds them in learner
pages and emails. Lessons may show only these: :func:`lesson_image_src` is the pattern the lesson
renderer keeps an ``<img src>`` for (support.knowledge.services.render_markdown), the tenant's own images
and nothing else."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:
    from accounts.models import Tenant
    from learning.models import LessonImage

KEY_CHARS = 32  # secrets.token_hex(16)


def public_path(*, tenant: Tenant, image: LessonImage) -> str:
    return reverse("lesson-image-file", args=[tenant.slug, image.pk, image.key])


def markdown_snippet(*, tenant: Tenant, image: LessonImage, alt: str = "") -> str:
    """What the author pastes into a lesson; the alt text is what a screen reader says (and what shows
    where the image cannot)."""
    clean_alt = re.sub(r"[\[\]\r\n]", " ", alt).strip() or "image"
    return f"![{clean_alt}]({public_path(tenant=tenant, image=image)})"


def lesson_image_src(tenant: Tenant) -> re.Pattern:
    """The whole ``src`` a lesson image may have: a lesson image URL of ``tenant`` (any id and key of the
    right shape; a wrong pair is the public view's 404, not a way out of the site)."""
    prefix = reverse("lesson-image-file", args=[tenant.slug, 1, "k"]).rsplit("/", 1)[0] + "/"
    return re.compile(re.escape(prefix) + rf"[0-9]{{1,18}}-[0-9a-f]{{{KEY_CHARS}}}")
