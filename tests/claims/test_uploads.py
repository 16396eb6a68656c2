"""Claim document uploads: judged by content, photos re-encoded without metadata, PDFs without scripts; streamed back
inert; the private storage outside every served folder."""

import hashlib
import io
import os
import stat
import struct
import warnings
import zlib
from pathlib import Path
from types import SimpleNamespace

import pillow_heif
import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject
from reportlab.pdfgen import canvas

from claims import uploads
from claims.checks import claim_documents_storage_check
from claims.uploads import CheckedUpload, claim_documents_storage, document_response, upload_check


@pytest.fixture(autouse=True)
def _english():
    """The assertions read the English messages; Indonesian is the default language (and is checked below)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_refusals_are_in_indonesian_by_default():
    from django.utils import translation

    with translation.override("id"), pytest.raises(ValidationError) as exc:
        upload_check(SimpleUploadedFile("ktp.jpg", b"\x7fELF" + b"\0" * 200, content_type="image/jpeg"))
    assert exc.value.messages[0].startswith("Berkas ini bukan foto atau PDF.")

# --- makers ------------------------------------------------------------------------------------------------------


def two_colour(size=(40, 20), mode="RGB"):
    """Left half red, right half blue: after a rotation we can tell which way it went."""
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return im.convert(mode)


def phone_jpeg(orientation=6):
    """A camera photo: EXIF with the phone's make, GPS position of the house, and an orientation tag."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 12.0, 30.0),
                                   ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (106.0, 49.0, 0.0)}
    buf = io.BytesIO()
    two_colour().save(buf, "JPEG", exif=exif, quality=95)
    return buf.getvalue()


def image_bytes(fmt, im=None, **kwargs):
    buf = io.BytesIO()
    (im or two_colour()).save(buf, fmt, **kwargs)
    return buf.getvalue()


def reportlab_pdf(pages=1):
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        c.drawString(100, 750, f"Surat keterangan kematian, halaman {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def pdf_writer():
    return PdfWriter(clone_from=PdfReader(io.BytesIO(reportlab_pdf())))


def pdf_bytes(writer):
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def name(value):
    return NameObject(value)


def js_action(code="app.alert(1)"):
    return DictionaryObject({name("/S"): name("/JavaScript"), name("/JS"): TextStringObject(code)})


def png_header_only(width, height):
    """A PNG that declares huge dimensions (valid signature, IHDR and CRCs) with a token of data."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def upload(data, filename="foto.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(filename, data, content_type=content_type)


def refused(data, filename="foto.jpg", content_type="image/jpeg"):
    with pytest.raises(ValidationError) as exc:
        upload_check(upload(data, filename, content_type))
    return exc.value


# --- photos ------------------------------------------------------------------------------------------------------


def test_phone_jpeg_is_reencoded_upright_without_exif_or_gps():
    original = phone_jpeg(orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input does carry GPS

    checked = upload_check(upload(original, "IMG_0001.JPG"))

    assert isinstance(checked, CheckedUpload)
    assert (checked.content_type, checked.extension) == ("image/jpeg", ".jpg")
    im = Image.open(io.BytesIO(checked.content))
    assert im.format == "JPEG"
    assert im.size == (20, 40)  # orientation 6 (rotate 90° clockwise) applied to the pixels
    assert im.getpixel((10, 5))[0] > 200 and im.getpixel((10, 35))[2] > 200  # red on top, blue below
    assert not im.getexif()
    assert b"PhoneCam" not in checked.content and b"GPS" not in checked.content and b"Exif" not in checked.content
    assert checked.size_bytes == len(checked.content)
    assert checked.sha256 == hashlib.sha256(checked.content).hexdigest()
    assert checked.original_name == "IMG_0001.JPG"


def test_png_with_transparency_becomes_jpeg_on_white():
    im = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    im.paste((0, 128, 0, 255), (0, 0, 15, 30))
    checked = upload_check(upload(image_bytes("PNG", im), "ktp.png", "image/png"))
    out = Image.open(io.BytesIO(checked.content))
    assert (checked.content_type, checked.extension, out.format, out.mode) == ("image/jpeg", ".jpg", "JPEG", "RGB")
    assert min(out.getpixel((25, 15))) > 240  # transparent became white, not black
    assert out.getpixel((5, 15))[1] > 100


def test_webp_and_greyscale_are_accepted():
    webp = upload_check(upload(image_bytes("WEBP", quality=90), "a.webp", "image/webp"))
    assert Image.open(io.BytesIO(webp.content)).size == (40, 20)
    grey = upload_check(upload(image_bytes("PNG", two_colour(mode="L")), "scan.png", "image/png"))
    assert Image.open(io.BytesIO(grey.content)).mode == "L"


def test_iphone_heic_is_decoded_and_stored_as_jpeg():
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 12.0, 30.0)}
    heic = image_bytes("HEIF", exif=exif, quality=90)
    assert heic[4:12] == b"ftypheic"

    checked = upload_check(upload(heic, "IMG_4242.HEIC", "image/heic"))

    out = Image.open(io.BytesIO(checked.content))
    assert (checked.content_type, out.format, out.size) == ("image/jpeg", "JPEG", (40, 20))
    assert not out.getexif() and b"GPS" not in checked.content


def test_large_photo_is_scaled_down_to_the_longest_side_cap():
    big = image_bytes("JPEG", two_colour(size=(4000, 1000)), quality=50)
    out = Image.open(io.BytesIO(upload_check(upload(big)).content))
    assert out.size == (uploads.MAX_IMAGE_SIDE, 750)


def test_trailing_payload_after_a_photo_does_not_travel_on():
    polyglot = image_bytes("JPEG") + b"PK\x03\x04<script>alert(1)</script>"
    checked = upload_check(upload(polyglot))
    assert b"<script>" not in checked.content and b"PK\x03\x04" not in checked.content


def test_type_comes_from_content_not_from_name_or_browser():
    checked = upload_check(upload(image_bytes("PNG"), "surat.pdf", "application/pdf"))
    assert checked.content_type == "image/jpeg"
    checked = upload_check(upload(reportlab_pdf(), "foto.jpg", "image/jpeg"))
    assert (checked.content_type, checked.extension) == ("application/pdf", ".pdf")


# --- refusals: not a photo or PDF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [b"\x7fELF\x02\x01\x01\x00", b"MZ\x90\x00\x03\x00\x00\x00"], ids=["elf", "mz"])
def test_renamed_executable_is_refused(header):
    error = refused(header + os.urandom(2000), "ktp.jpg", "image/jpeg")
    assert error.code == "unsupported_type"
    assert "not a photo or a PDF" in error.messages[0]


def test_text_file_named_png_is_refused():
    assert refused(b"hello, this is not a picture\n" * 20, "ktp.png", "image/png").code == "unsupported_type"


def test_random_bytes_behind_a_jpeg_header_are_refused():
    error = refused(b"\xff\xd8\xff\xe0" + os.urandom(4000))
    assert error.code == "image_unreadable"
    assert "could not be read" in error.messages[0]


def test_truncated_photo_is_refused():
    data = image_bytes("JPEG", two_colour(size=(400, 400)))
    assert refused(data[: len(data) // 2]).code == "image_unreadable"


def test_png_with_a_broken_checksum_is_refused():
    data = bytearray(image_bytes("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # inside the compressed data: the CRC no longer matches
    assert refused(bytes(data), "a.png", "image/png").code == "image_unreadable"


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000), (8000, 8000)],
                         ids=["past-pillow-error", "past-pillow-warning", "past-our-limit"])
@pytest.mark.parametrize("warnings_as_errors", [False, True])
def test_decompression_bomb_is_refused_before_decoding(size, warnings_as_errors, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels decoded"))
    with warnings.catch_warnings():
        warnings.simplefilter("error" if warnings_as_errors else "ignore")
        error = refused(png_header_only(*size), "bom.png", "image/png")
    assert error.code == "image_too_many_pixels"


def test_empty_file_is_refused():
    error = refused(b"", "kosong.jpg")
    assert error.code == "empty"


# --- size --------------------------------------------------------------------------------------------------------


@override_settings(CLAIM_DOCUMENT_MAX_BYTES=2000)
def test_file_one_byte_over_the_limit_is_refused_and_at_the_limit_accepted():
    pdf = reportlab_pdf()
    at_limit = pdf + b"%" + b" " * (2000 - len(pdf) - 2) + b"\n"
    assert len(at_limit) == 2000
    assert upload_check(upload(at_limit, "a.pdf")).size_bytes == 2000
    error = refused(at_limit + b" ", "a.pdf")
    assert error.code == "too_large"


def test_limit_message_names_the_limit():
    with override_settings(CLAIM_DOCUMENT_MAX_BYTES=1024 * 1024):
        big = upload(b"\xff\xd8\xff" + b"\0" * (1024 * 1024))
        with pytest.raises(ValidationError) as exc:
            upload_check(big)
    assert exc.value.code == "too_large" and "1 MB" in exc.value.messages[0]


class CountingStream:
    """A file without a declared size that counts what is read from it."""

    name = "besar.jpg"

    def __init__(self, total):
        self.left, self.read_bytes = total, 0

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        self.read_bytes += n
        return b"\0" * n


@override_settings(CLAIM_DOCUMENT_MAX_BYTES=1000)
def test_oversized_stream_is_read_only_up_to_the_limit():
    stream = CountingStream(5 * 1024 * 1024)
    with pytest.raises(ValidationError) as exc:
        upload_check(stream)
    assert exc.value.code == "too_large"
    assert stream.read_bytes <= 1001 + uploads._CHUNK


@override_settings(CLAIM_DOCUMENT_MAX_BYTES=1000)
def test_a_file_that_lies_about_its_size_is_still_measured():
    data = b"\xff\xd8\xff" + b"\0" * 5000
    lying = File(io.BytesIO(data), name="a.jpg")
    lying.size = 10
    with pytest.raises(ValidationError) as exc:
        upload_check(lying)
    assert exc.value.code == "too_large"


# --- PDFs --------------------------------------------------------------------------------------------------------


def test_reportlab_pdf_is_stored_as_uploaded():
    pdf = reportlab_pdf(pages=2)
    checked = upload_check(upload(pdf, "akta kematian.pdf", "application/pdf"))
    assert checked.content == pdf
    assert (checked.content_type, checked.extension, checked.size_bytes) == ("application/pdf", ".pdf", len(pdf))
    assert checked.sha256 == hashlib.sha256(pdf).hexdigest()


def test_pdf_opening_on_a_page_is_accepted():
    writer = pdf_writer()
    writer._root_object[name("/OpenAction")] = ArrayObject([writer.pages[0].indirect_reference, name("/Fit")])
    assert upload_check(upload(pdf_bytes(writer), "a.pdf")).content_type == "application/pdf"


def pdf_with_document_js():
    writer = pdf_writer()
    writer.add_open_action(JavaScript("app.alert('hi')"))  # the names tree /JavaScript entry
    return pdf_bytes(writer)


def pdf_with_open_action_js():
    writer = pdf_writer()
    writer._root_object[name("/OpenAction")] = writer._add_object(js_action())
    return pdf_bytes(writer)


def pdf_with_link_js():
    writer = pdf_writer()
    writer.add_annotation(0, DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/Link"),
        name("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(100)]),
        name("/A"): js_action()}))
    return pdf_bytes(writer)


def pdf_with_add_js():
    writer = pdf_writer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # add_js is deprecated in pypdf 6, still writes JS
        writer.add_js("this.print({bUI:true});")
    return pdf_bytes(writer)


JS_PDFS = {"add_js": pdf_with_add_js, "names-tree": pdf_with_document_js, "open-action": pdf_with_open_action_js,
           "link-annotation": pdf_with_link_js}


@pytest.mark.parametrize("make", JS_PDFS.values(), ids=JS_PDFS.keys())
def test_pdf_with_javascript_is_refused(make):
    error = refused(make(), "surat.pdf", "application/pdf")
    assert error.code == "pdf_active_content"
    assert "scripts or actions" in error.messages[0]


@pytest.mark.parametrize("make", JS_PDFS.values(), ids=JS_PDFS.keys())
def test_pdf_javascript_is_found_by_parsing_alone(make, monkeypatch):
    """Scripts in compressed object streams never show in the raw bytes: the parsed walk must find them itself."""
    monkeypatch.setattr(uploads, "_raw_has_script", lambda data: False)
    assert refused(make(), "surat.pdf", "application/pdf").code == "pdf_active_content"


def _launch(writer):
    writer._root_object[name("/OpenAction")] = DictionaryObject(
        {name("/S"): name("/Launch"), name("/F"): TextStringObject("cmd.exe")})


def _page_aa(writer):
    writer.pages[0][name("/AA")] = DictionaryObject({name("/O"): DictionaryObject(
        {name("/S"): name("/URI"), name("/URI"): TextStringObject("https://example.invalid/")})})


def _attachment(writer):
    writer.add_attachment("ktp.exe", b"MZ\x90\x00")


def _xfa(writer):
    writer._root_object[name("/AcroForm")] = DictionaryObject(
        {name("/Fields"): ArrayObject(), name("/XFA"): TextStringObject("<xdp/>")})


def _submit_field(writer):
    field = writer._add_object(DictionaryObject({
        name("/FT"): name("/Btn"), name("/T"): TextStringObject("kirim"),
        name("/A"): DictionaryObject({name("/S"): name("/SubmitForm"),
                                      name("/F"): TextStringObject("https://example.invalid/")})}))
    writer._root_object[name("/AcroForm")] = DictionaryObject({name("/Fields"): ArrayObject([field])})


def _rich_media(writer):
    writer.add_annotation(0, DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/RichMedia"),
        name("/Rect"): ArrayObject([FloatObject(0)] * 4)}))


def _open_uri(writer):
    writer._root_object[name("/OpenAction")] = DictionaryObject(
        {name("/S"): name("/URI"), name("/URI"): TextStringObject("https://example.invalid/")})


ACTIONS = {"launch": _launch, "page-additional-actions": _page_aa, "embedded-file": _attachment, "xfa": _xfa,
           "submit-form-field": _submit_field, "rich-media": _rich_media, "open-action-uri": _open_uri}


@pytest.mark.parametrize("add", ACTIONS.values(), ids=ACTIONS.keys())
def test_pdf_with_actions_attachments_or_forms_that_submit_is_refused(add):
    writer = pdf_writer()
    add(writer)
    assert refused(pdf_bytes(writer), "a.pdf", "application/pdf").code == "pdf_active_content"


def with_unreferenced_object(pdf, obj):
    """An incremental update that adds an object no xref entry or reference reaches."""
    import re

    prev = re.findall(rb"startxref\s+(\d+)", pdf)[-1]
    root = re.search(rb"/Root\s+(\d+ \d+ R)", pdf).group(1)
    size = int(re.search(rb"/Size\s+(\d+)", pdf).group(1))
    update = b"\n" + str(size + 50).encode() + b" 0 obj\n" + obj + b"\nendobj\n"
    xref_at = len(pdf) + len(update)
    update += (b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size " + str(size).encode() + b" /Root " + root
               + b" /Prev " + prev + b" >>\nstartxref\n" + str(xref_at).encode() + b"\n%%EOF\n")
    return pdf + update


@pytest.mark.parametrize("token", [b"/JS", b"/J#53", b"/JavaScript"])
def test_pdf_with_script_only_in_the_raw_bytes_is_refused(token):
    """An object no reference reaches: viewers may still find it by repairing the file; only the raw scan sees it."""
    data = with_unreferenced_object(reportlab_pdf(), b"<< /S /Named " + token + b" (app.alert(1)) >>")
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1 and not uploads._pdf_active_content(reader)  # parsing alone would not see it
    assert refused(data, "a.pdf", "application/pdf").code == "pdf_active_content"


def test_pdf_with_a_harmless_incremental_update_is_accepted():
    data = with_unreferenced_object(reportlab_pdf(), b"<< /Producer (Scanner) >>")
    assert upload_check(upload(data, "a.pdf", "application/pdf")).content == data


def test_raw_scan_ignores_stream_data_and_similar_names():
    assert not uploads._raw_has_script(b"%PDF-1.4\n1 0 obj\n<< /Length 9 >>\nstream\n/JS x /JS\nendstream\nendobj")
    assert not uploads._raw_has_script(b"%PDF-1.4\n1 0 obj\n<< /JSON 1 /AJS 2 >>\nendobj")
    assert uploads._raw_has_script(b"%PDF-1.4\n1 0 obj\n<< /JS(x) >>\nendobj")


@pytest.mark.parametrize("owner_only", [False, True], ids=["user-password", "owner-password-only"])
def test_encrypted_pdf_is_refused(owner_only):
    writer = pdf_writer()
    if owner_only:
        writer.encrypt(user_password="", owner_password="pemilik")
    else:
        writer.encrypt("rahasia")
    error = refused(pdf_bytes(writer), "a.pdf", "application/pdf")
    assert error.code == "pdf_encrypted"
    assert "password" in error.messages[0]


def test_truncated_pdf_is_refused():
    pdf = reportlab_pdf(pages=3)
    assert refused(pdf[: len(pdf) * 2 // 3], "a.pdf", "application/pdf").code == "pdf_unreadable"


def test_pdf_header_on_garbage_is_refused():
    assert refused(b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "a.pdf").code == "pdf_unreadable"


# --- names -------------------------------------------------------------------------------------------------------


def test_path_traversal_name_is_reduced_to_its_basename_and_never_stored():
    checked = upload_check(upload(image_bytes("JPEG"), "../../etc/passwd.jpg"))
    assert checked.original_name == "passwd.jpg"
    stored = checked.stored_name()
    assert stored.endswith(".jpg") and len(stored) == 36 and "passwd" not in stored and "/" not in stored
    assert stored != checked.stored_name()  # random each time
    assert checked.as_file().name.endswith(".jpg") and checked.as_file().read() == checked.content


@pytest.mark.parametrize(("given", "expected"), [
    ("C:\\Users\\ani\\Desktop\\ktp.jpg", "ktp.jpg"),
    ("foto\x00\x1b[31m.jpg", "foto[31m.jpg"),
    ("ktp\u202egpj.exe", "ktpgpj.exe"),  # right-to-left override, used to disguise extensions
    ("  .hidden.png ", "hidden.png"),
    ("a" * 300 + ".jpeg", "a" * 195 + ".jpeg"),
])
def test_original_name_is_cleaned(given, expected):
    assert uploads.clean_original_name(given) == expected
    assert len(uploads.clean_original_name(given)) <= 200


# --- streaming a stored document -----------------------------------------------------------------------------------


def stored_document(content, content_type, kind="death_cert", number="JKM-2030-000007"):
    storage = claim_documents_storage()
    path = storage.save(f"test-{os.getpid()}/{uploads.secrets.token_hex(8)}.bin", ContentFile(content))
    return SimpleNamespace(pk=12, kind=kind, content_type=content_type, file=SimpleNamespace(name=path),
                           claim=SimpleNamespace(number=number))


def body(response):
    data = b"".join(response.streaming_content)
    response.close()
    return data


def test_document_response_streams_a_pdf_with_safe_headers():
    pdf = reportlab_pdf()
    response = document_response(stored_document(pdf, "application/pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="JKM-2030-000007-death_cert-12.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
    assert int(response["Content-Length"]) == len(pdf)
    assert body(response) == pdf


def test_document_response_uses_the_stored_type_never_a_guess():
    jpeg = upload_check(upload(image_bytes("JPEG"))).content
    response = document_response(stored_document(jpeg, "image/jpeg", kind="ktp", number="JKK/2030 00\u00e91"))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="JKK-2030-00-1-ktp-12.jpg"'  # ASCII only
    assert body(response) == jpeg
    # A type outside the accepted ones (an old row, a bug) is sent as an inert download.
    response = document_response(stored_document(b"<html><script>alert(1)</script>", "text/html"))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    body(response)


def test_document_csp_survives_the_site_csp_middleware():
    from csp.middleware import CSPMiddleware

    request = RequestFactory().get("/klaim/dokumen/12/")
    middleware = CSPMiddleware(lambda req: document_response(stored_document(b"%PDF-1.4", "application/pdf")))
    middleware.process_request(request)
    response = middleware.process_response(request, middleware.get_response(request))
    assert response["Content-Security-Policy"] == uploads.DOCUMENT_CSP
    body(response)


# --- where documents live ------------------------------------------------------------------------------------------


def test_documents_are_saved_0600_in_0700_folders(tmp_path, settings):
    from config.settings import base

    options = dict(base.STORAGES["claim_documents"]["OPTIONS"], location=tmp_path / "claims")
    storage = FileSystemStorage(**options)
    checked = upload_check(upload(image_bytes("JPEG")))
    saved = storage.save(f"41/{checked.stored_name()}", ContentFile(checked.content))
    assert stat.S_IMODE((tmp_path / "claims" / saved).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "claims" / "41").stat().st_mode) == 0o700
    # The test settings keep the same modes as production.
    assert settings.STORAGES["claim_documents"]["OPTIONS"]["file_permissions_mode"] == 0o600
    assert settings.STORAGES["claim_documents"]["OPTIONS"]["directory_permissions_mode"] == 0o700


def test_production_storage_is_outside_static_and_media():
    from config.settings import base

    location = Path(base.STORAGES["claim_documents"]["OPTIONS"]["location"]).resolve()
    for served in [base.STATIC_ROOT, base.MEDIA_ROOT, *base.STATICFILES_DIRS]:
        served = Path(served).resolve()
        assert served != location and served not in location.parents
    assert base.STORAGES["claim_documents"]["OPTIONS"]["base_url"] is None


def test_system_check_passes_for_the_configured_storage():
    assert claim_documents_storage_check() == []
    assert not [m for m in run_checks() if m.id.startswith("claims.")]


@pytest.mark.parametrize("where", ["MEDIA_ROOT", "STATIC_ROOT", "STATICFILES_DIRS"])
def test_system_check_errors_when_documents_sit_in_a_served_folder(where, tmp_path, settings):
    served = tmp_path / "served"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STATICFILES_DIRS = [str(tmp_path / "assets")]
    if where == "STATICFILES_DIRS":
        settings.STATICFILES_DIRS = [("vendor", str(served))]
    else:
        setattr(settings, where, str(served))
    settings.STORAGES = {**settings.STORAGES, "claim_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(served / "private" / "claims"), "base_url": None}}}
    errors = claim_documents_storage_check()
    assert [e.id for e in errors] == ["claims.E004"]
    assert where in errors[0].msg


def test_system_check_errors_on_a_url_or_no_location(settings):
    settings.STORAGES = {**settings.STORAGES, "claim_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"base_url": "/dokumen/"}}}
    assert [e.id for e in claim_documents_storage_check()] == ["claims.E002", "claims.E003"]
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "claim_documents"}
    assert [e.id for e in claim_documents_storage_check()] == ["claims.E001"]


def test_a_second_check_of_the_same_upload_reuses_the_first(monkeypatch):
    """The form checks, then the service checks again: the photo is decoded once, and the result is the same."""
    photo = upload(phone_jpeg())
    first = upload_check(photo)
    monkeypatch.setattr(uploads, "_image_reencode", lambda data, kind: pytest.fail("decoded twice"))
    assert upload_check(photo) is first
    with override_settings(CLAIM_DOCUMENT_MAX_BYTES=100):  # a changed limit is a new check
        with pytest.raises(ValidationError):
            upload_check(photo)


def test_raw_scan_is_linear_on_many_unterminated_streams():
    import time

    data = b"%PDF-1.4\n" + b"stream\n" * 1_000_000 + b"<< /JS (x) >>"
    started = time.monotonic()
    assert uploads._raw_has_script(data)
    assert time.monotonic() - started < 5


def test_pdf_with_a_link_to_another_file_is_refused():
    writer = pdf_writer()
    writer.add_annotation(0, DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/Link"),
        name("/Rect"): ArrayObject([FloatObject(0)] * 4),
        name("/A"): DictionaryObject({name("/S"): name("/GoToR"), name("/D"): ArrayObject([FloatObject(0)]),
                                      name("/F"): TextStringObject("\\\\host\\share\\a.pdf")})}))
    assert refused(pdf_bytes(writer), "a.pdf", "application/pdf").code == "pdf_active_content"


# --- end to end: filed through the service, stored on the private storage, sent back -------------------------------


def test_a_filed_document_is_stored_under_a_random_name_and_sent_back_as_checked():
    import re

    from tests.claims.claim_helpers import death_claim, paid_member

    claim = death_claim(paid_member(months=12))
    document = claim.documents.order_by("id").first()
    storage = claim_documents_storage()

    assert re.fullmatch(rf"{claim.pk}/[0-9a-f]{{32}}\.(jpg|pdf)", document.file.name)
    path = Path(storage.path(document.file.name))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert document.size_bytes == path.stat().st_size

    response = document_response(document)
    assert response["Content-Type"] == document.content_type
    assert response["Content-Disposition"] == (
        f'inline; filename="{claim.number}-{document.kind}-{document.pk}{path.suffix}"')
    assert body(response) == path.read_bytes()


def test_a_document_whose_file_is_gone_is_a_logged_404(caplog):
    from django.http import Http404

    document = stored_document(b"%PDF-1.4", "application/pdf")
    claim_documents_storage().delete(document.file.name)
    with pytest.raises(Http404):
        document_response(document)
    assert "missing from the storage" in caplog.text


def test_heic_that_does_not_decode_asks_for_a_jpeg_camera_setting():
    broken = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(500)
    error = refused(broken, "IMG_1.HEIC", "image/heic")
    assert error.code == "heic_unsupported"
    assert "Most Compatible" in error.messages[0]
