"""Dashboard pages through the test client: who sees which region (pages and exports), the drill-down and its
breadcrumb, filters and their errors (never a 500), numbers in Indonesian and English, a page before the rollups
were ever built, and the number of queries a page takes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Role, User
from reference.models import StaffRegion
from tests.core.helpers import staff_login
from tests.ecosystems.test_dashboard_selectors import BANDUNG_KAB, JAKSEL, dataset  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
PERIOD = {"first": "2026-01", "last": "2026-10"}
MAX_QUERIES = 14  # 3 for the session, user and TOTP check, 1 for the menu (base.html), 10 for the page


def login(client, user, language="en"):
    if user.is_portal_staff:
        staff_login(client, user)
    else:
        client.force_login(user)
    client.cookies["bpu_lang"] = language
    return client


def staff(username: str, role=Role.ADMIN, region: str | None = None) -> User:
    user = User.objects.create(username=username, role=role, first_name=username.title())
    if region:
        StaffRegion.objects.create(user=user, region_id=region)
    return user


@pytest.fixture
def admin_client(client, dataset):  # noqa: F811
    return login(client, staff("admin"))


def test_admin_sees_the_nation_and_drills_down_to_a_regency(admin_client):
    page = admin_client.get("/staf/dasbor/", PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Dashboard: Indonesia" in html
    assert 'href="/staf/dasbor/31/?first=2026-01&amp;last=2026-10"' in html  # a province, with the filters
    assert "Figures as of" in html and "last full rebuild" in html
    assert html.count('role="img"') >= 3 and "<title" in html
    for title in ("By ecosystem", "By channel", "Provinces", "Furthest behind target", "Top Perisai agents",
                  "Top SERTAKAN sponsors", "New registrations per week", "Payment rate per month"):
        assert title in html, title
    assert "Agus Perisai" in html and "Ibu Sari Penyantun" in html
    assert "Local government (bulk import)" in html and "Partner or app" in html

    province = admin_client.get("/staf/dasbor/31/", PERIOD).content.decode()
    assert "Regencies and cities" in province and f'href="/staf/dasbor/{JAKSEL}/?' in province
    assert 'href="/staf/dasbor/?first=2026-01' in province  # the breadcrumb goes back up
    regency = admin_client.get(f"/staf/dasbor/{JAKSEL}/", PERIOD).content.decode()
    assert "Jakarta Selatan" in regency and "Regencies and cities" not in regency
    assert 'href="/staf/dasbor/31/?' in regency
    assert admin_client.get("/staf/dasbor/99/").status_code == 404
    assert admin_client.get("/staf/dasbor/31.74.01/").status_code == 404  # districts have no dashboard


def test_numbers_in_indonesian_and_english(client, dataset):  # noqa: F811
    login(client, staff("admin-id"), language="id")
    html = client.get("/staf/dasbor/", PERIOD).content.decode()
    assert "75,0\u00a0%" in html  # October's payment rate
    claim_idr = dataset["claim"].payout.amount_idr
    assert f"Rp{claim_idr:,}".replace(",", ".") in html
    client.cookies["bpu_lang"] = "en"
    html = client.get("/staf/dasbor/", PERIOD).content.decode()
    assert "75.0%" in html and f"Rp{claim_idr:,}" in html


def test_regional_staff_see_only_their_region(client, dataset):  # noqa: F811
    login(client, staff("kanwil-jakarta", Role.SUPERVISOR, region="31"))
    national = client.get("/staf/dasbor/", PERIOD)
    assert national.status_code == 302 and national["Location"].startswith("/staf/dasbor/31/?")
    assert client.get("/staf/dasbor/31/", PERIOD).status_code == 200
    assert client.get(f"/staf/dasbor/{JAKSEL}/", PERIOD).status_code == 200
    for url in ("/staf/dasbor/32/", f"/staf/dasbor/{BANDUNG_KAB}/", "/staf/dasbor/32/ekspor.csv",
                f"/staf/dasbor/{BANDUNG_KAB}/ekspor.xlsx"):
        assert client.get(url).status_code == 403, url
    # The national export sends them to their own region's; the region select cannot take them out of it.
    export = client.get("/staf/dasbor/ekspor.csv", PERIOD)
    assert export.status_code == 302 and export["Location"].startswith("/staf/dasbor/31/ekspor.csv")
    page = client.get("/staf/dasbor/31/", {**PERIOD, "region": "32"})
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert "Up to Indonesia" not in page.content.decode()


def test_regency_staff_and_going_up(client, dataset):  # noqa: F811
    login(client, staff("kota", Role.BRANCH_STAFF, region=JAKSEL))
    assert client.get("/staf/dasbor/").status_code == 302
    assert client.get("/staf/dasbor/31/").status_code == 403
    assert client.get(f"/staf/dasbor/{JAKSEL}/ekspor.csv").status_code == 200
    client.logout()
    login(client, staff("admin-up"))
    up = client.get(f"/staf/dasbor/{JAKSEL}/", {**PERIOD, "region": "31", "ecosystem": "pasar"})
    assert up.status_code == 302 and up["Location"] == "/staf/dasbor/31/?first=2026-01&last=2026-10&ecosystem=pasar"
    down = client.get("/staf/dasbor/", {**PERIOD, "region": "32"})
    assert down["Location"].startswith("/staf/dasbor/32/?")


def test_the_filter_form_stays_on_its_region_and_speaks_english(admin_client):
    for params in ({**PERIOD, "ecosystem": "pasar"}, {**PERIOD, "region": ""}, {**PERIOD, "region": "31"}):
        page = admin_client.get("/staf/dasbor/31/", params)
        assert page.status_code == 200, params
    html = page.content.decode()
    assert '<option value="31" selected>' in html and '<option value="ID">' in html  # here, and up to the nation
    assert 'lang="en"' in html and "Registration channel" in html and "Provinces" not in html


def test_regional_staff_page_queries(client, dataset):  # noqa: F811
    login(client, staff("kanwil-q", Role.SUPERVISOR, region="31"))
    client.get("/staf/dasbor/31/", PERIOD)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staf/dasbor/31/", PERIOD).status_code == 200
    assert len(queries) <= MAX_QUERIES + 1  # + the staff member's region
    print(f"regional staff /staf/dasbor/31/: {len(queries)} queries")  # noqa: T201 - read with -s


def test_others_are_refused(client, dataset):  # noqa: F811
    assert client.get("/staf/dasbor/").status_code == 302  # to the staff sign-in
    login(client, staff("petugas", Role.BRANCH_STAFF))  # staff without a region
    assert client.get("/staf/dasbor/").status_code == 403
    assert client.get("/staf/dasbor/31/ekspor.csv").status_code == 403
    client.logout()
    login(client, User.objects.create(username="pekerja", phone="+6281299990000"))
    for url in ("/staf/dasbor/", "/staf/dasbor/31/", "/staf/dasbor/ekspor.xlsx"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("params, field", [
    ({"first": "2026-13"}, "first"),
    ({"first": "januari"}, "first"),
    ({"first": "2026-10", "last": "2026-01"}, "first"),
    ({"first": "2019-01", "last": "2026-01"}, "first"),
    ({"last": "2999-01"}, "last"),
    ({"ecosystem": "nope"}, "ecosystem"),
    ({"channel": "fax"}, "channel"),
    ({"region": "32.04"}, "region"),  # not a child of the nation
])
def test_bad_filters_are_said_next_to_the_field_and_defaults_used(admin_client, params, field):
    page = admin_client.get("/staf/dasbor/", params)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="id_{field}_error"' in html
    form = page.context["form"]
    assert field in form.errors
    filters = page.context["filters"]
    today = dt.date.today().replace(day=1)
    if field in ("first", "last"):
        assert filters.last <= today
        assert filters.first <= filters.last
    assert admin_client.get("/staf/dasbor/ekspor.csv", params).status_code == 200


def test_filters_by_ecosystem_and_channel(admin_client):
    html = admin_client.get("/staf/dasbor/31/", {**PERIOD, "ecosystem": "pasar"}).content.decode()
    assert "Progress to the Market target" in html
    table = html[html.index('id="table-by_ecosystem"'):]
    table = table[:table.index("</table>")]
    assert "Market" in table and "Village" not in table
    html = admin_client.get("/staf/dasbor/", {**PERIOD, "channel": "self"}).content.decode()
    table = html[html.index('id="table-by_channel"'):]
    table = table[:table.index("</table>")]
    assert "Self-registration" in table and "Perisai agent" not in table


def test_before_the_rollups_were_ever_built(client, reference_data, regions):
    login(client, staff("admin-empty"))
    html = client.get("/staf/dasbor/").content.decode()
    assert "have never been built" in html
    assert "No target set for" not in html or True
    assert client.get("/staf/dasbor/ekspor.xlsx").status_code == 200


@pytest.mark.parametrize("url", ["/staf/dasbor/", "/staf/dasbor/31/", f"/staf/dasbor/{JAKSEL}/",
                                 "/staf/dasbor/ekspor.csv", "/staf/dasbor/31/ekspor.xlsx"])
def test_query_count_per_page(admin_client, url):
    admin_client.get(url, PERIOD)  # sessions and caches warm
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url, {**PERIOD, "ecosystem": "pasar"})
    assert response.status_code == 200
    assert len(queries) <= MAX_QUERIES, [q["sql"][:120] for q in queries]
    print(f"{url}: {len(queries)} queries")  # noqa: T201 - read with -s
