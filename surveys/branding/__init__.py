"""Survey branding (issue 12): a logo per survey, its bytes in the database (a self-hosted install needs no
media storage), served at a public URL named by the tenant, the logo's id and a random key.

The public survey page shows it with :func:`logo_url`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surveys.models import Survey


def logo_url(survey: Survey) -> str | None:
    """The public path of ``survey``'s logo, or None without one (one query, the image bytes left out)."""
    from surveys.branding.selectors import logo_of, public_path

    logo = logo_of(tenant=survey.tenant, survey=survey)
    return public_path(tenant=survey.tenant, logo=logo) if logo is not None else None
