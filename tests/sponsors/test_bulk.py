"""Spreadsheet registration: messy files, the per-row report, all-or-nothing commit, one invoice."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contributions.models import PaymentOrder
from core.models import User
from enrollment.services import member_register
from members.models import Member, RegistrationChannel, Sponsorship
from sponsors.bulk import bulk_import_commit, bulk_import_start, report_rows
from sponsors.models import BulkImport
from tests.conftest import VALID_NIK_MAN, VALID_NIK_WOMAN
from tests.factories.members import SponsorFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data", "english")]
HEADER = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,no_hp,kode_desa,alamat,pekerjaan,penghasilan,jht,bulan"


@pytest.fixture
def government(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return SponsorFactory(user__username="pemda", user__phone="+6281300000001", government=True)


def _rows(village):
    return [
        f"{VALID_NIK_WOMAN},Siti Rahayu,Jakarta,17-08-1990,P,081234567890,{village},Jl. A,asisten-rumah-tangga,"
        "1000000,tidak,3",
        f"{VALID_NIK_MAN},Budi Santoso,Bandung,1985-03-12,L,085712345678,{village.replace('.', '')},Jl. B,Nelayan,"
        "1000000,ya,1",
        "",  # empty line
        f"{VALID_NIK_MAN},Budi Lagi,Bandung,12-03-1985,L,085712340000,{village},Jl. C,nelayan,1000000,tidak,1",
        f"3174015808900001,Nik Salah,Jakarta,17-08-1990,P,081234560000,{village},Jl. D,petani,1000000,tidak,1",
        f"12345,Terlalu Pendek,Jakarta,17-08-1990,P,081234561111,{village},Jl. E,petani,999,tidak,2",
    ]


def _upload(government, content: bytes, name="pekerja.csv"):
    return bulk_import_start(sponsor=government, uploaded=SimpleUploadedFile(name, content),
                             actor=government.user)


def test_messy_csv_with_bom_and_semicolons_gives_a_row_by_row_report(government, village_code):
    text = "\ufeff" + "\n".join([HEADER.replace(",", ";")] + [r.replace(",", ";") for r in _rows(village_code)])
    item = BulkImport.objects.get(pk=_upload(government, text.encode()).pk)
    assert item.status == "validated" and item.total_rows == 5
    statuses = {r.row_number: (r.status, " ".join(r.reasons)) for r in item.rows.all()}
    assert statuses[2][0] == "accepted" and statuses[3][0] == "accepted"  # occupation by name, dotless code
    assert statuses[5][0] == "duplicate"
    assert statuses[6][0] == "rejected" and "birth date" in statuses[6][1]
    assert statuses[7][0] == "rejected" and "16 digits" in statuses[7][1] and "income table" in statuses[7][1] \
        and "Months must be" in statuses[7][1]
    report = list(report_rows(item))
    assert report[0][:3] == ["baris", "status", "alasan"]
    assert all(VALID_NIK_WOMAN not in cell for row in report for cell in row)  # NIKs are masked
    assert Member.objects.count() == 0  # nothing registered before the sponsor confirms


def test_commit_registers_all_accepted_with_one_invoice_and_no_discount_for_apbd(government, village_code):
    text = "\n".join([HEADER] + _rows(village_code))
    item = bulk_import_commit(import_id=_upload(government, text.encode()).pk, actor=government.user)
    assert item.status == "committed"
    members = Member.objects.order_by("kpj")
    assert members.count() == 2 and {m.channel for m in members} == {RegistrationChannel.BULK}
    assert {m.funding_source for m in members} == {"apbd"}
    order = PaymentOrder.objects.get(pk=item.order_id)
    # APBD-funded: no PP 50/2025 discount. 3 × 16,800 + 1 × 36,800.
    assert order.amount_idr == 3 * 16_800 + 36_800 and order.lines.count() == 2
    assert Sponsorship.objects.filter(sponsor=government, confirmed_at__isnull=False).count() == 2

    # The corrected file sent again registers nobody twice: both are now existing members.
    again = bulk_import_commit(import_id=_upload(government, text.encode()).pk, actor=government.user)
    assert Member.objects.count() == 2
    assert again.rows.filter(status="existing").count() == 2


def test_a_failure_at_commit_leaves_no_member_behind(government, village_code, registration_data):
    text = "\n".join([HEADER] + _rows(village_code))
    item = _upload(government, text.encode())
    # Someone registers Budi's NIK between the check and the confirmation.
    intruder = User.objects.create(username="x", phone="+6281399990000")
    member_register(data=registration_data(nik=VALID_NIK_MAN, birth_date=dt.date(1985, 3, 12), gender="L",
                                           phone="+6281399990000"), user=intruder, actor=intruder)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        bulk_import_commit(import_id=item.pk, actor=government.user)
    assert Member.objects.count() == 1 and not PaymentOrder.objects.exists()
    assert BulkImport.objects.get(pk=item.pk).status == "validated"


def test_xlsx_with_a_merged_title_row_and_real_dates(government, village_code):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Data pekerja rentan Kota Bontang 2026"])
    sheet.merge_cells("A1:L1")
    sheet.append(HEADER.split(","))
    sheet.append([VALID_NIK_WOMAN, "Siti", "Jakarta", dt.datetime(1990, 8, 17), "P", "081234567890", village_code,
                  "Jl. A", "petani", 1000000, "ya", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    item = BulkImport.objects.get(pk=_upload(government, buffer.getvalue(), "data.xlsx").pk)
    assert item.status == "validated"
    row = item.rows.get()
    assert row.status == "accepted" and row.row_number == 3


@pytest.mark.parametrize("content,message", [
    (HEADER.encode(), "no worker rows"),
    (b"nama,alamat\nSiti,Jl. A\n", "header row"),
    (b"\xff\xfe\x00n\x00i\x00k", "UTF-8"),
    (HEADER.encode() + b"\n" + b"x" * 200_000 + b"\n", "cannot be read"),
])
def test_unreadable_or_empty_files_fail_with_a_reason(government, content, message):
    item = BulkImport.objects.get(pk=_upload(government, content).pk)
    assert item.status == "failed" and message in item.error


def test_too_big_or_wrong_type_files_are_refused_before_anything_is_saved(government, settings):
    from django.core.exceptions import ValidationError

    settings.BULK_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="larger than"):
        _upload(government, b"x" * 1001)
    with pytest.raises(ValidationError, match="CSV or XLSX"):
        _upload(government, b"nik", "data.pdf")
    assert not BulkImport.objects.exists()


def test_sponsors_see_only_their_own_imports(client, government, village_code):
    item = _upload(government, "\n".join([HEADER] + _rows(village_code)).encode())
    other = SponsorFactory(user__username="o", user__phone="+6281300000002", name="PT Lain")
    client.force_login(other.user)
    assert client.get(f"/penyantun/impor/{item.pk}/").status_code == 404
    assert client.get(f"/penyantun/impor/{item.pk}/laporan.csv").status_code == 404
    client.force_login(government.user)
    assert client.get(f"/penyantun/impor/{item.pk}/").status_code == 200
    body = b"".join(client.get(f"/penyantun/impor/{item.pk}/laporan.csv").streaming_content).decode()
    assert body.startswith("baris,status,alasan") and "3174********0001" in body


def _file_of(village, people):
    """people: (nik, name, birth DD-MM-YYYY, gender, phone, months)."""
    return "\n".join([HEADER] + [f"{nik},{name},Bontang,{born},{g},{phone},{village},Jl. X,petani,1000000,tidak,{m}"
                                 for nik, name, born, g, phone, m in people]).encode()


def test_commit_is_set_based_with_each_rows_months_on_one_invoice(government, village_code):
    from contributions.models import Bill
    from core.models import AuditEvent, OutboxMessage
    from tests.core.helpers import nik_for

    people = [(nik_for(dt.date(1980 + k, 1, 2 + k), "L", serial=f"{k + 1:04d}"), f"Pekerja {k}",
               f"{2 + k:02d}-01-{1980 + k}", "L", f"08570000{k:04d}", months)
              for k, months in enumerate([1, 3, 6, 12, 3])]
    item = bulk_import_commit(import_id=_upload(government, _file_of(village_code, people)).pk, actor=government.user)
    assert item.status == "committed"
    members = {m.phone.as_e164: m for m in Member.objects.all()}
    assert len(members) == 5
    order = PaymentOrder.objects.get(pk=item.order_id)
    lines = {line.member.phone.as_e164: line for line in order.lines.select_related("member")}
    for _nik, _n, _b, _g, phone, months in people:
        line = lines["+62" + phone[1:]]
        bills = Bill.objects.filter(member=line.member).order_by("month")
        assert [f"{b.month:%Y-%m}" for b in bills] == line.months and len(line.months) == months
        assert line.amount_idr == sum(b.total_idr for b in bills)
        assert line.months[0] == f"{line.member.billing_start:%Y-%m}"
    assert order.amount_idr == sum(line.amount_idr for line in lines.values())
    assert AuditEvent.objects.filter(action="member.registered").count() == 5
    assert OutboxMessage.objects.filter(purpose="registration").count() == 5
    assert set(item.rows.values_list("member__kpj", flat=True)) == {m.kpj for m in members.values()}
    assert all(m.user and m.user.phone == m.phone and not m.user.has_usable_password() for m in members.values())


def test_commit_refused_for_a_staff_phone_keeps_the_reason_on_the_import(government, village_code):
    from sponsors.bulk import bulk_import_commit_job

    item = _upload(government, "\n".join([HEADER] + _rows(village_code)).encode())
    User.objects.create(username="petugas", phone="+6281234567890", role="branch_staff")
    BulkImport.objects.filter(pk=item.pk).update(status="committing")
    result = bulk_import_commit_job(import_id=item.pk, actor_id=government.user.pk)
    assert result.status == "validated" and "Row 2 changed since the check" in result.error
    assert not Member.objects.exists() and not PaymentOrder.objects.exists()


def test_confirming_queues_the_job_and_the_page_follows_it(client, government, village_code, monkeypatch):
    from sponsors import tasks

    queued = []
    monkeypatch.setattr(tasks.bulk_import_commit, "apply_async", lambda args, **options: queued.append(tuple(args)))
    item = _upload(government, "\n".join([HEADER] + _rows(village_code)).encode())
    client.force_login(government.user)
    response = client.post(f"/penyantun/impor/{item.pk}/daftarkan/")
    assert response.status_code == 302 and response["Location"] == f"/penyantun/impor/{item.pk}/"
    assert queued == [(item.pk, government.user.pk)]
    page = client.get(f"/penyantun/impor/{item.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "being registered" in page
    client.post(f"/penyantun/impor/{item.pk}/daftarkan/")  # a second click queues nothing more
    assert len(queued) == 1


def test_existing_members_are_asked_once_even_when_the_file_comes_twice(government, village_code,
                                                                          registration_data):
    from core.models import OutboxMessage

    someone = User.objects.create(username="s", phone="+6281234567890")
    member_register(data=registration_data(), user=someone, actor=someone)  # Siti, VALID_NIK_WOMAN
    text = "\n".join([HEADER] + _rows(village_code)).encode()
    for _round in range(2):
        bulk_import_commit(import_id=_upload(government, text).pk, actor=government.user)
    asked = Sponsorship.objects.filter(sponsor=government, member__nik_index=Member.objects.get(user=someone).nik_index)
    assert asked.count() == 1 and asked.get().confirmed_at is None
    assert OutboxMessage.objects.filter(purpose="sponsorship").count() == 1


def test_a_50_mb_file_is_streamed_with_flat_memory(government, village_code, tmp_path):
    """A spreadsheet export padded with 25,000 blank-but-wide lines around real rows: accepted (the limit is
    200 MB), read as a stream, and every real row found, without holding the file in memory."""
    import tracemalloc

    from django.core.files import File

    filler = (";" * 11 + " " * 2000 + "\r\n") * 100
    path = tmp_path / "besar.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write(HEADER.replace(",", ";") + "\r\n")
        out.write(_rows(village_code)[0].replace(",", ";") + "\r\n")
        while out.tell() < 50 * 1024 * 1024:
            out.write(filler)
        out.write(_rows(village_code)[1].replace(",", ";") + "\r\n")
    assert path.stat().st_size >= 50 * 1024 * 1024
    tracemalloc.start()
    with open(path, "rb") as handle:
        item = bulk_import_start(sponsor=government, uploaded=File(handle, name="besar.csv"), actor=government.user)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    item = BulkImport.objects.get(pk=item.pk)
    assert item.status == "validated" and item.total_rows == 2
    assert sorted(item.rows.values_list("status", flat=True)) == ["accepted", "accepted"]
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB of Python objects for a 50 MB file"
