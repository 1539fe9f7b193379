"""Routes of the health app: ``usage/`` today (pages and API); the scores add theirs here."""

from django.urls import include, path

from health.alerts import urls as alerts_urls
from health.portfolio import urls as portfolio_urls
from health.scores import urls as scores_urls
from health.scores.backtests import urls as backtest_urls
from health.scores.cards import urls as cards_urls
from health.usage import urls as usage_urls

urlpatterns = [
    path("", include(usage_urls.urlpatterns)),
    path("", include(cards_urls.urlpatterns)),
    path("", include(scores_urls.urlpatterns)),
    path("", include(portfolio_urls.urlpatterns)),
    path("", include(backtest_urls.urlpatterns)),
    path("", include(alerts_urls.urlpatterns)),
]

api_urlpatterns = [*usage_urls.api_urlpatterns, *scores_urls.api_urlpatterns]
