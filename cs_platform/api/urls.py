"""``/api/``: the OpenAPI schema, Swagger UI, and every app's ``api_urlpatterns`` under ``v1/``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import urls as accounts_urls
from health import urls as health_urls
from learning.external import urls as learning_urls
from support import urls as support_urls
from surveys import urls as surveys_urls

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(accounts_urls.api_urlpatterns)),
    path("v1/", include(health_urls.api_urlpatterns)),
    path("v1/", include(support_urls.api_urlpatterns)),
    path("v1/", include(surveys_urls.api_urlpatterns)),
    path("v1/", include(learning_urls.api_urlpatterns)),
]
