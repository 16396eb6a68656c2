"""Dashboards for admins (the whole country) and regional staff (their province or regency/city and below).

Thin: `dashboard_scope` decides who sees which region, `dashboard_read` reads the rollups, `page_build` lays out what
the page and its exports show."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.views import staff_required
from ecosystems.dashboards import FilterForm, export_name, filter_query, page_build
from ecosystems.export import export_response
from ecosystems.models import NATION
from ecosystems.selectors.dashboard import dashboard_home, dashboard_read, dashboard_scope, ecosystems_list

EXPORTS = ("csv", "xlsx")


def _url(code: str, query: dict | None = None, *, export: str = "") -> str:
    if export:
        url = (reverse("ecosystems:export-region", args=[code, export]) if code
               else reverse("ecosystems:export", args=[export]))
    else:
        url = reverse("ecosystems:region", args=[code]) if code else reverse("ecosystems:nation")
    return f"{url}?{urlencode(query)}" if query else url


def _dashboard(request, code: str, export: str = ""):
    if export and export not in EXPORTS:
        raise Http404
    home = dashboard_home(viewer=request.user)
    if home is None:
        raise PermissionDenied
    if code == NATION and home:
        # Regional staff start at their own region, filters kept.
        return redirect(_url(home, request.GET.dict(), export=export))
    scope = dashboard_scope(viewer=request.user, code=code, home=home)
    today = timezone.localdate()
    ecosystems = ecosystems_list()
    form = FilterForm(request.GET, scope=scope, ecosystems=ecosystems, today=today)
    filters = form.filters()
    target = form.region_target()
    if target is not None:
        return redirect(_url(target, filter_query(filters), export=export))
    data = dashboard_read(scope=scope, filters=filters, today=today, ecosystems=ecosystems)
    query = filter_query(filters)
    page = page_build(data, link=lambda child: _url(child, query))
    if export:
        title = f"{scope.name} · {filters.first:%Y-%m} – {filters.last:%Y-%m}"
        return export_response(page, kind=export, filename=export_name(scope, filters, export), title=title)
    crumbs = [(_("Indonesia"), _url(NATION, query) if not home else None)]
    for region in scope.path:
        allowed = not home or region.code == home or region.code.startswith(home + ".")
        crumbs.append((region.name, _url(region.code, query) if allowed else None))
    return render(request, "ecosystems/dashboard.html", {
        "page": page, "data": data, "scope": scope, "form": form, "filters": filters, "crumbs": crumbs,
        "csv_url": _url(scope.code, query, export="csv"), "xlsx_url": _url(scope.code, query, export="xlsx"),
        "filtered": form.is_bound and bool(filters.ecosystem or filters.channel),
    })


@staff_required
def dashboard_nation(request):
    return _dashboard(request, NATION)


@staff_required
def dashboard_region(request, code):
    return _dashboard(request, code)


@staff_required
def dashboard_export(request, fmt):
    return _dashboard(request, NATION, export=fmt)


@staff_required
def dashboard_region_export(request, code, fmt):
    return _dashboard(request, code, export=fmt)
