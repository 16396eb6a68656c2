"""Targets and workforce figures from CSV files at /staf/target/: checked in full, saved all or nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent, Role, User
from ecosystems.models import Target, TargetMeasure, Workforce
from ecosystems.seed import targets_seed
from ecosystems.services.targets import targets_upload, workforce_upload
from ecosystems.target_files import MAX_BYTES, targets_template_csv
from reference.models import Ecosystem
from reference.seed import ecosystems_seed
from tests.core.helpers import english, staff_login  # noqa: F401 - fixture
from tests.factories.reference import DistrictFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/staf/target/"
GOOD = (
    "tahun,kode_wilayah,ekosistem,ukuran,nilai,sumber\n"
    "2027,,,anggota,75000000,RPJMN\n"
    "2027,16,,persen,\"52,5\",Pemprov Sumsel\n"
    "2027,16.71,pasar,anggota,120.000,Kota Palembang\n"
)


@pytest.fixture(autouse=True)
def reference(db):
    ecosystems_seed(Ecosystem)
    targets_seed(Target, Workforce)
    DistrictFactory()  # 16 Sumatera Selatan / 16.71 Kota Palembang / 16.71.01 Ilir Barat II


def csv_file(text: str, name: str = "target.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def staff(client, role=Role.ADMIN):
    user = User.objects.create(username=f"staff-{role}", role=role, is_staff=role == Role.ADMIN)
    staff_login(client, user)
    return user


# --- the service --------------------------------------------------------------------------------------------------


def test_a_good_file_is_saved_and_audited():
    admin = User.objects.create(username="root", role=Role.ADMIN)
    result = targets_upload(uploaded=csv_file(GOOD), actor=admin)
    assert result.ok and (result.added, result.updated, result.unchanged) == (3, 0, 0)
    nation = Target.objects.get(year=2027, region_code="", ecosystem=None)
    assert (nation.measure, nation.members, nation.share_percent) == (TargetMeasure.MEMBERS, 75_000_000, None)
    sumsel = Target.objects.get(year=2027, region_code="16")
    assert (sumsel.measure, sumsel.share_percent, sumsel.source) == ("share", Decimal("52.50"), "Pemprov Sumsel")
    assert Target.objects.get(year=2027, region_code="16.71", ecosystem="pasar").members == 120_000
    events = AuditEvent.objects.filter(action="target.created")
    assert events.count() == 3 and {e.actor_id for e in events} == {admin.pk}
    assert all(e.reason == "CSV upload target.csv" for e in events)


def test_uploading_again_updates_by_year_region_and_ecosystem():
    targets_upload(uploaded=csv_file(GOOD), actor=None)
    again = GOOD.replace("75000000", "80000000")
    result = targets_upload(uploaded=csv_file(again), actor=None)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 2)
    assert Target.objects.get(year=2027, region_code="", ecosystem=None).members == 80_000_000
    assert Target.objects.filter(year=2027).count() == 3
    event = AuditEvent.objects.get(action="target.updated")
    assert event.changes["members"] == [75_000_000, 80_000_000]


def test_every_bad_row_is_reported_and_nothing_is_saved():
    text = (
        "tahun,kode_wilayah,ekosistem,ukuran,nilai,sumber\n"
        "2027,,,anggota,75000000,ok\n"                    # row 2: good
        "27,99,,anggota,10,x\n"                           # row 3: year and region
        "2027,16,ukm,persen,120,x\n"                      # row 4: ecosystem and percentage
        "2027,16.71,,anggota,-5,x\n"                      # row 5: members
        "2027,16.71.01,,banyak,5,x\n"                     # row 6: a district; unknown measure
        "2027,,,anggota,1000,duplicate of row 2\n"        # row 7
    )
    result = targets_upload(uploaded=csv_file(text), actor=None)
    assert not result.ok and result.added == 0
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "tahun"), (3, "kode_wilayah"), (4, "ekosistem"), (4, "nilai"), (5, "nilai"),
                     (6, "kode_wilayah"), (6, "ukuran"), (7, "")}
    assert not Target.objects.filter(year=2027).exists()
    assert not AuditEvent.objects.filter(action__startswith="target.").exists()
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(3, "kode_wilayah")] == "Unknown region code."
    assert messages[(4, "ekosistem")].startswith("Unknown ecosystem.")
    assert messages[(7, "")] == "Same year, region and ecosystem as row 2."


def test_an_ecosystem_added_by_an_admin_can_have_targets():
    text = "tahun,kode_wilayah,ekosistem,ukuran,nilai,sumber\n2027,16,ukm,anggota,5000,x\n"
    assert not targets_upload(uploaded=csv_file(text), actor=None).ok
    Ecosystem.objects.create(code="ukm", name_id="UKM", name_en="SMEs")
    assert targets_upload(uploaded=csv_file(text), actor=None).ok
    assert Target.objects.get(year=2027, region_code="16", ecosystem="ukm").members == 5000


def test_bom_semicolons_and_english_headers():
    text = ("\ufeffyear;region_code;ecosystem;measure;value;source\r\n"
            "2027;16;desa;share;42,25;Sumsel villages\r\n"
            "2027;16.71;;members;1.250.000;Palembang\r\n")
    result = targets_upload(uploaded=csv_file(text), actor=None)
    assert result.ok, result.errors
    assert Target.objects.get(year=2027, region_code="16", ecosystem="desa").share_percent == Decimal("42.25")
    assert Target.objects.get(year=2027, region_code="16.71", ecosystem=None).members == 1_250_000


def test_file_level_problems():
    def error(text, **kw):
        return targets_upload(uploaded=csv_file(text, **kw), actor=None).file_error

    assert "Missing column: nilai" in error("tahun,kode_wilayah,ukuran\n2027,,anggota\n")
    assert "Unknown column: target" in error("tahun,kode_wilayah,ukuran,nilai,target\n")
    assert "UTF-8" in error("tahun,kode_wilayah,ukuran,nilai,sumber\n2027,,anggota,5,Jåkarta\n", encoding="utf-16")
    assert error("") == "The file is empty."
    big = SimpleUploadedFile("big.csv", b"x" * (MAX_BYTES + 1))
    assert "larger than 5 MB" in targets_upload(uploaded=big, actor=None).file_error


def test_workforce_upload():
    text = ("tahun;kode_wilayah;pekerja;pekerja_informal;sumber\n"
            "2027;;153000000;;BPS\n"
            "2027;16;3900000;2500000;BPS Sumsel\n"
            "2027;16.71;800000;900000;more informal than all\n")
    result = workforce_upload(uploaded=csv_file(text), actor=None)
    assert [(e.row, e.column) for e in result.errors] == [(4, "pekerja_informal")]
    assert not Workforce.objects.filter(year=2027).exists()
    result = workforce_upload(uploaded=csv_file(text.replace("900000;more", "300000;fixed")), actor=None)
    assert result.ok and result.added == 3
    assert Workforce.objects.get(year=2027, region_code="16").informal_workers == 2_500_000
    assert Workforce.objects.get(year=2027, region_code="").informal_workers is None


def test_the_template_holds_the_seeded_targets_and_uploads_cleanly():
    template = targets_template_csv()
    assert template.startswith("tahun,kode_wilayah,ekosistem,ukuran,nilai,sumber")
    assert "2026,,,anggota,70000000," in template and "2025,16,,persen,50," in template
    result = targets_upload(uploaded=csv_file(template), actor=None)
    assert result.ok and result.added == 0 and result.unchanged == 4


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_page_lists_figures_by_year(client):
    staff(client)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="year-2026"' in html and "70,000,000 members" in html and "Sumatera Selatan" in html
    assert "1,911,764 members" in html  # 50 % of South Sumatra's 3,823,529 workers


def test_upload_through_the_page(client):
    admin = staff(client)
    response = client.post(URL + "unggah/target/", {"targets-file": csv_file(GOOD)}, follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "3 added, 0 updated, 0 unchanged" in response.content.decode()
    assert AuditEvent.objects.filter(action="target.created", actor=admin).count() == 3


def test_a_bad_file_is_shown_back_with_its_errors(client):
    staff(client)
    text = GOOD + "2027,31,,anggota,5,unknown province\n"
    response = client.post(URL + "unggah/target/", {"targets-file": csv_file(text)})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="row-errors"' in html and "Unknown region code." in html and "Nothing was saved" in html
    assert not Target.objects.filter(year=2027).exists()


def test_workforce_upload_through_the_page(client):
    staff(client)
    text = "tahun,kode_wilayah,pekerja,pekerja_informal,sumber\n2027,16,3900000,,BPS\n"
    response = client.post(URL + "unggah/tenaga-kerja/", {"workforce-file": csv_file(text, "tk.csv")}, follow=True)
    assert "1 added" in response.content.decode()
    assert Workforce.objects.filter(year=2027, region_code="16").exists()


def test_templates_download(client):
    staff(client)
    response = client.get(URL + "templat-target.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith("tahun,kode_wilayah,ekosistem")
    response = client.get(URL + "templat-tenaga-kerja.csv")
    assert response.content.decode("utf-8-sig").startswith("tahun,kode_wilayah,pekerja,pekerja_informal,sumber")


@pytest.mark.parametrize("role", [Role.BRANCH_STAFF, Role.SUPERVISOR, Role.WORKER])
def test_only_admins(client, role):
    staff(client, role)
    assert client.get(URL).status_code in (302, 403) if role == Role.WORKER else client.get(URL).status_code == 403
    response = client.post(URL + "unggah/target/", {"targets-file": csv_file(GOOD)})
    assert response.status_code in (302, 403)
    assert not Target.objects.filter(year=2027).exists()
    assert client.get(URL + "templat-target.csv").status_code in (302, 403)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/akun/login/" in response["Location"]


def test_admin_registers_ecosystems_targets_workforce_and_staff_regions(client):
    admin = User.objects.create(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, admin)
    for path in ("reference/ecosystem", "ecosystems/target", "ecosystems/workforce", "reference/staffregion"):
        assert client.get(f"/admin/{path}/").status_code == 200, path
        assert client.get(f"/admin/{path}/add/").status_code == 200, path
    assert client.get("/admin/ecosystems/target/?year=2026&level=0").status_code == 200
    assert client.get("/admin/ecosystems/target/?q=Sumatera").status_code == 200
    response = client.post("/admin/reference/ecosystem/add/", {
        "code": "ukm", "name_id": "UKM", "name_en": "SMEs", "sort_order": 50, "active": "on"})
    assert response.status_code == 302 and Ecosystem.objects.filter(code="ukm").exists()


def test_the_admin_checks_region_codes(client):
    admin = User.objects.create(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    staff_login(client, admin)
    data = {"year": 2027, "measure": "members", "members": 5000, "source": "x", "ecosystem": ""}
    response = client.post("/admin/ecosystems/target/add/", {**data, "region_code": "1671"})
    assert response.status_code == 200 and "Not a region code" in response.content.decode()
    response = client.post("/admin/ecosystems/target/add/", {**data, "region_code": "16.71"})
    assert response.status_code == 302 and Target.objects.get(year=2027).region_code == "16.71"
    response = client.post("/admin/ecosystems/workforce/add/", {"year": 2027, "region_code": "99", "workers": 5})
    assert response.status_code == 200 and "Unknown region code." in response.content.decode()


@pytest.mark.parametrize("role, linked", [(Role.ADMIN, True), (Role.SUPERVISOR, False)])
def test_the_staff_home_links_the_targets_page_for_admins(client, role, linked):
    staff(client, role)
    assert ('href="/staf/target/"' in client.get("/staf/").content.decode()) is linked
