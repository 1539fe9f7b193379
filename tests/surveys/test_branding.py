"""Survey logos: PNG, JPEG and WebP accepted by their bytes; SVG, garbage, oversized files and dimensions
refused with a 400 naming the field and nothing written; the public file with its type, a long cache and an
ETag; a wrong key, id or tenant is a 404; remove; logo_url for the public page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.branding import logo_url
from surveys.branding.images import ImageError, inspect
from surveys.branding.models import SurveyLogo
from tests.surveys.helpers import make_survey
from tests.surveys.images import SVG, jpeg, png, webp_lossless

pytestmark = pytest.mark.django_db


def upload(world, survey, data: bytes, name="logo.png", member=None):
    client = world.client_for(member or world.csm)
    return client.post(reverse("survey-logo-upload", args=[world.tenant.slug, survey.pk]),
                       {"logo": SimpleUploadedFile(name, data, content_type="image/png")})


def logos(world):
    with world.scope():
        return list(SurveyLogo.objects.all())


@pytest.mark.parametrize(("data", "expected"), [
    (png(120, 40), ("image/png", 120, 40)),
    (jpeg(300, 100), ("image/jpeg", 300, 100)),
    (webp_lossless(64, 32), ("image/webp", 64, 32)),
])
def test_image_headers_are_read_from_the_bytes(data, expected):
    info = inspect(data)
    assert (info.content_type, info.width, info.height) == expected


def test_good_png_is_stored_and_served_with_type_cache_and_etag(world_a):
    a = world_a
    survey = make_survey(a)
    data = png(120, 40)
    response = upload(a, survey, data, name="logo.gif")  # the name says nothing; the bytes are a PNG
    assert response.status_code == 302
    [logo] = logos(a)
    assert (logo.content_type, logo.width, logo.height, logo.size) == ("image/png", 120, 40, len(data))
    assert logo.uploaded_by_id == a.csm.user.pk
    with a.scope():
        url = logo_url(survey)
    assert url == f"/survey-logos/{a.tenant.slug}/{logo.pk}-{logo.key}" and len(logo.key) == 32
    served = a.client_for().get(url)
    assert served.status_code == 200 and served.content == data
    assert served["Content-Type"] == "image/png"
    assert "max-age=31536000" in served["Cache-Control"] and "public" in served["Cache-Control"]
    assert served["ETag"] == f'"{logo.digest}"'
    from django.test import Client

    anonymous = Client()  # the survey page's readers have no login
    assert anonymous.get(url).content == data
    assert anonymous.get(url, headers={"If-None-Match": served["ETag"]}).status_code == 304
    edit = a.client_for(a.csm).get(reverse("survey-edit", args=[a.tenant.slug, survey.pk])).content.decode()
    assert url in edit and "120 x 40 px" in edit


def test_replacing_changes_the_url_and_removing_forgets_it(world_a):
    a = world_a
    survey = make_survey(a)
    upload(a, survey, png(10, 10))
    with a.scope():
        first = logo_url(survey)
    upload(a, survey, jpeg(20, 20))
    with a.scope():
        second = logo_url(survey)
    assert first != second and len(logos(a)) == 1
    assert a.client_for().get(first).status_code == 404  # the old key is gone with the old bytes
    assert a.client_for().get(second)["Content-Type"] == "image/jpeg"
    response = a.client_for(a.csm).post(reverse("survey-logo-remove", args=[a.tenant.slug, survey.pk]))
    assert response.status_code == 302
    with a.scope():
        assert logo_url(survey) is None
    assert a.client_for().get(second).status_code == 404


@pytest.mark.parametrize(("data", "message"), [
    (SVG, "a PNG, JPEG or WebP image only"),
    (b"GIF89a" + b"\x00" * 20, "a PNG, JPEG or WebP image only"),
    (b"not an image at all", "a PNG, JPEG or WebP image only"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, "a PNG without its header"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG without a frame header"),
    (png(10, 10, padding=256 * 1024), "at most 256 KB"),
    (png(4000, 10), "at most 2000 x 2000 pixels"),
    (png(0, 10), "at most 2000 x 2000 pixels"),
    (jpeg(10, 2001), "at most 2000 x 2000 pixels"),
])
def test_bad_files_are_a_400_naming_the_field(world_a, data, message):
    a = world_a
    survey = make_survey(a)
    response = upload(a, survey, data, name="logo.png")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Logo:" in body and message in body
    assert logos(a) == []


def test_no_file_is_a_400_and_viewers_may_not_upload(world_a):
    a = world_a
    survey = make_survey(a)
    response = a.client_for(a.csm).post(reverse("survey-logo-upload", args=[a.tenant.slug, survey.pk]), {})
    assert response.status_code == 400 and "Logo: choose an image file." in response.content.decode()
    assert upload(a, survey, png(5, 5), member=a.viewer).status_code == 403
    assert logos(a) == []


def test_wrong_key_or_another_tenants_slug_is_a_404(worlds):
    a, b = worlds
    survey = make_survey(b)
    upload(b, survey, png(5, 5))
    [logo] = logos(b)
    ok = reverse("survey-logo-file", args=[b.tenant.slug, logo.pk, logo.key])
    assert a.client_for().get(ok).status_code == 200
    for url in (reverse("survey-logo-file", args=[a.tenant.slug, logo.pk, logo.key]),
                reverse("survey-logo-file", args=[b.tenant.slug, logo.pk, "f" * 32]),
                reverse("survey-logo-file", args=[b.tenant.slug, logo.pk, "ü" * 3])):
        assert a.client_for().get(url).status_code == 404


def test_inspect_refuses_empty():
    with pytest.raises(ImageError):
        inspect(b"")
