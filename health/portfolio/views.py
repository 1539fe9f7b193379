"""The portfolio page: health distribution, accounts and ARR by band, renewals by band, the week's biggest
movers, the 12-week trend and the accounts without a score, for my accounts, one CSM's or all. Thin: the
filter form, health.portfolio.selectors, charts; the same view answers the htmx partial of its results."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts.permissions import requires
from accounts.selectors import csm_users, tenant_today
from cs_platform.web import charts
from cs_platform.web.pages import render_list
from health.portfolio import selectors
from health.portfolio.forms import PortfolioFilterForm


def _distribution_chart(counts: list[int]):
    width = 100 // selectors.BINS
    bars = [charts.Bar(f"{i * width}", n, f"{i * width}-{(i + 1) * width}: {n} account{'s' if n != 1 else ''}")
            for i, n in enumerate(counts)]
    return charts.bars_with_line(bars, line_value=None, line_label="",
                                 aria_label="Accounts by latest health score, in 10-point bins: "
                                            + ", ".join(str(n) for n in counts))


def _trend_chart(weeks: list[selectors.TrendWeek]):
    bars = [charts.Bar(w.week.strftime("%m-%d"), round(w.average or 0),
                       f"week of {w.week.isoformat()}: " + (f"average {w.average:.1f}" if w.average is not None
                                                            else "no score"), muted=w.average is None)
            for w in weeks]
    return charts.bars_with_line(bars, line_value=None, line_label="",
                                 aria_label="Average latest health score per week, the last 12 weeks")


@require_GET
@requires("health.view")
def portfolio(request: HttpRequest) -> HttpResponse:
    form = PortfolioFilterForm(request.GET or None, role=request.membership.role, users=csm_users(request.tenant))
    form.is_valid()  # a bad value is left out of cleaned_data: the default applies and the error is shown
    owner, today, tenant = form.owner(user=request.user), tenant_today(request.tenant), request.tenant
    counts = selectors.distribution(tenant=tenant, owner=owner, today=today)
    down, up = selectors.movers(tenant=tenant, owner=owner, today=today)
    weeks, bands = selectors.trend(tenant=tenant, owner=owner, today=today)
    by_band = selectors.by_band(tenant=tenant, owner=owner, today=today)
    return render_list(request, "health/portfolio/portfolio.html", {
        "form": form, "owner": owner, "today": today, "definitions": selectors.DEFINITIONS,
        "distribution": counts, "distribution_chart": _distribution_chart(counts), "scored": sum(counts),
        "by_band": by_band, "total_accounts": sum(r.accounts for r in by_band),
        "total_arr": sum((r.arr for r in by_band), 0), "windows": selectors.RENEWAL_WINDOWS,
        "down": down, "up": up, "weeks": weeks, "trend_bands": bands, "trend_chart": _trend_chart(weeks),
        "unscored": selectors.unscored(tenant=tenant, owner=owner)})
