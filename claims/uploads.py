"""Claim documents: where they are kept, what an upload must be to be kept, and how a kept one is sent back.

An upload is judged by its bytes only (never by its name or the browser's content type): the magic bytes say what it
claims to be and decoding it must agree. Photos are decoded fully and re-encoded as JPEG without metadata, so nothing
hidden in the original (EXIF GPS, trailing data, polyglots) is kept. PDFs are parsed and refused when encrypted,
broken or carrying scripts, actions that run on their own, embedded files, forms that submit, XFA or rich media.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

try:  # iPhones take HEIC photos by default; pillow-heif decodes them (it is in requirements.lock).
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - only when the wheel is missing
    HEIF_AVAILABLE = False

logger = logging.getLogger(__name__)

# Phone cameras shoot 12-50 MP; more pixels than this is refused before decoding (decompression bombs).
MAX_IMAGE_PIXELS = 50_000_000
# Re-encoded photos: the longest side is capped, which keeps a KTP or a certificate readable at a few hundred KB.
MAX_IMAGE_SIDE = 3000
JPEG_QUALITY = 85
ORIGINAL_NAME_MAX = 200
_CHUNK = 64 * 1024
# A PDF of 10 MB holds far fewer objects; more than this is treated as unreadable rather than walked for ever.
_PDF_MAX_OBJECTS = 200_000

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
# What document_response will send as itself; anything else in the database is sent as a download.
INLINE_TYPES = frozenset(EXTENSIONS)

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def claim_documents_storage():
    """Private storage (settings.STORAGES["claim_documents"]): outside static and media, no URL."""
    return storages["claim_documents"]


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed upload_check: `content` is what to store (a re-encoded JPEG for every photo)."""

    content: bytes
    content_type: str
    extension: str
    size_bytes: int
    sha256: str
    original_name: str

    def stored_name(self) -> str:
        """A new random file name each call: the uploader's name never reaches the disk."""
        return secrets.token_hex(16) + self.extension

    def as_file(self) -> ContentFile:
        """The content as a Django file with a random name, ready for `ClaimDocument(file=...)`."""
        return ContentFile(self.content, name=self.stored_name())


# Messages: English msgids, Indonesian in locale/id. Each is said to a person on a phone, so it says what to do.
def _refuse(code: str, **params) -> ValidationError:
    messages = {
        "empty": _("The file is empty. Please choose the photo or PDF again."),
        "too_large": _("The file is larger than %(limit)s. Please upload a smaller photo or PDF, for example by "
                       "taking the photo again or scanning fewer pages into one PDF."),
        "unsupported_type": _("This file is not a photo or a PDF. Please choose a photo (JPG or PNG) or a PDF."),
        "heic_unsupported": _("Photos in HEIC format cannot be read here. Please set the camera to JPEG (on an "
                              "iPhone: Settings, Camera, Formats, \"Most Compatible\") and take the photo again."),
        "image_unreadable": _("The photo could not be read; it may be damaged. Please take the photo again and "
                              "upload it."),
        "image_too_many_pixels": _("The photo is too large to process. Please take it again at a lower resolution."),
        "pdf_unreadable": _("The PDF could not be read; it may be damaged or incomplete. Please save it again or "
                            "upload photos of the pages instead."),
        "pdf_encrypted": _("This PDF is protected with a password. Please upload a copy without a password."),
        "pdf_active_content": _("This PDF contains scripts or actions and cannot be accepted. Please upload a plain "
                                "PDF (for example, print it to a new PDF) or photos of the pages."),
    }
    return ValidationError(messages[code], code=code, params=params or None)


def _limit_text(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else str(filesizeformat(limit))


def upload_check(upload) -> CheckedUpload:
    """Check one uploaded file (a Django UploadedFile or any File) and return what may be stored.

    The result is remembered on the upload object, so the form and then the service can both call this for the
    price of one check.

    Raises ValidationError (with a `code`) when the file is empty, larger than settings.CLAIM_DOCUMENT_MAX_BYTES,
    not a photo (JPEG, PNG, WebP, HEIC) or PDF by its content, a photo that does not decode or has too many pixels,
    or a PDF that is encrypted, broken or carries active content.
    """
    limit = settings.CLAIM_DOCUMENT_MAX_BYTES
    cached = getattr(upload, "_claims_checked", None)
    if cached is not None and cached[0] == limit:
        return cached[1]  # the form checked it already; decoding a photo again would cost a second or two
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:  # refused before a byte is read
        raise _refuse("too_large", limit=_limit_text(limit))
    data = _read_limited(upload, limit)
    if not data:
        raise _refuse("empty")
    if len(data) > limit:
        raise _refuse("too_large", limit=_limit_text(limit))
    original_name = clean_original_name(getattr(upload, "name", "") or "")
    kind = sniff(data)
    if kind == PDF:
        _pdf_check(data)
        content, content_type = data, PDF
    elif kind in (JPEG, PNG, WEBP, HEIC):
        content, content_type = _image_reencode(data, kind), JPEG
    else:
        raise _refuse("unsupported_type")
    checked = CheckedUpload(content=content, content_type=content_type, extension=EXTENSIONS[content_type],
                            size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
                            original_name=original_name)
    try:
        upload._claims_checked = (limit, checked)
    except AttributeError:  # objects without a __dict__: nothing to remember it on
        pass
    return checked


def _read_limited(upload, limit: int) -> bytes:
    """At most limit + 1 bytes, read in chunks: an oversized upload is never held whole in memory."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    buf = io.BytesIO()
    chunks = upload.chunks(_CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(_CHUNK), b"")
    for chunk in chunks:
        buf.write(chunk[: limit + 1 - buf.tell()])
        if buf.tell() > limit:
            break
    if hasattr(upload, "seek"):
        upload.seek(0)  # whoever reads the upload next starts at the beginning too
    return buf.getvalue()


def clean_original_name(name: str) -> str:
    """The uploader's file name for display only: basename, no control or bidi characters, at most 200 chars."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf"))
    base = base.strip().lstrip(".")
    if len(base) > ORIGINAL_NAME_MAX:
        stem, ext = os.path.splitext(base)
        ext = ext if len(ext) <= 10 else ""
        base = stem[: ORIGINAL_NAME_MAX - len(ext)] + ext
    return base


def sniff(data: bytes) -> str | None:
    """What the first bytes say the file is (a content type), or None. Decoding must still agree."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIC: "HEIF"}


def _image_reencode(data: bytes, kind: str) -> bytes:
    if kind == HEIC and not HEIF_AVAILABLE:  # pragma: no cover - pillow-heif is installed with the project
        raise _refuse("heic_unsupported")
    fmt = _PIL_FORMATS[kind]
    try:
        # Pillow itself warns past ~89 MP and refuses past ~179 MP at open; ours is lower and checked before any
        # pixel is decoded. (No warnings.catch_warnings here: it is process-wide, not per request.)
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            width, height = probe.size
            if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
                raise _refuse("image_too_many_pixels")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            im.load()
            out = _normalised(im)
            buf = io.BytesIO()
            # No exif=, icc_profile= or comment: the new file carries pixels only.
            out.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("image_too_many_pixels")
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - any decoder error means the photo cannot be used
        if kind == HEIC:
            raise _refuse("heic_unsupported")
        raise _refuse("image_unreadable")
    return buf.getvalue()


def _normalised(im: Image.Image) -> Image.Image:
    """Upright (EXIF orientation applied), RGB or greyscale on white, longest side at most MAX_IMAGE_SIDE."""
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        im = flat
    elif im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    if max(im.size) > MAX_IMAGE_SIDE:
        im = im.copy()
        im.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
    return im


# --- PDF -------------------------------------------------------------------------------------------------------

# Keys whose presence anywhere in the document means something runs or is carried inside.
_PDF_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia",
                    "/RichMediaContent", "/RichMediaSettings", "/XFA", "/SubmitForm"}
# Values of /S (action type), /Type or /Subtype that mean the same.
_PDF_ACTIVE_VALUES = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia", "/RichMediaExecute",
                      "/EmbeddedFile", "/FileAttachment", "/Movie", "/Sound", "/Rendition", "/GoToE",
                      "/GoToR"}  # GoToR: another file, even a network path (leaks Windows credentials)
# Belt and braces on the raw bytes (outside stream data): a script name in an object no reference reaches.
_RAW_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_RAW_ACTIVE = {b"JS", b"JavaScript"}


def _pdf_check(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if _raw_has_script(data):
        raise _refuse("pdf_active_content")
    if b"%%EOF" not in data[-2048:]:
        raise _refuse("pdf_unreadable")  # truncated: pypdf would rebuild what it can, a viewer may not
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("pdf_encrypted")
        if len(reader.pages) < 1:
            raise _refuse("pdf_unreadable")
        found = _pdf_active_content(reader)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise _refuse("pdf_unreadable")
    if found:
        raise _refuse("pdf_active_content")


def _outside_stream_data(data: bytes) -> bytes:
    """The bytes with stream data (compressed pages, images) left out: random bytes there could spell `/JS`.
    One pass with find(), never a backtracking regex over 10 MB."""
    parts, pos = [], 0
    while (start := data.find(b"stream", pos)) >= 0:
        if data[start - 3:start] == b"end":  # an `endstream` with no opening: keep going
            parts.append(data[pos:start + 6])
            pos = start + 6
            continue
        end = data.find(b"endstream", start + 6)
        if end < 0:
            break  # unterminated: the rest is scanned as it is
        parts.append(data[pos:start + 6])
        pos = end + 9
    parts.append(data[pos:])
    return b" ".join(parts)


def _raw_has_script(data: bytes) -> bool:
    for match in _RAW_NAME.finditer(_outside_stream_data(data)):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _RAW_ACTIVE:
            return True
    return False


def _pdf_active_content(reader) -> str | None:
    """The first active key or value reachable from the trailer (catalog, names tree, pages, annotations, form
    fields, outlines, ...), or None. Every object is visited once; stream data is not decoded."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        visited += 1
        if visited > _PDF_MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(obj, DictionaryObject):  # StreamObject is one too: its dictionary is checked
            for key, value in obj.items():
                if key in _PDF_ACTIVE_KEYS:
                    return str(key)
                if key in ("/S", "/Type", "/Subtype") and isinstance(value, NameObject) \
                        and value in _PDF_ACTIVE_VALUES:
                    return str(value)
                if key == "/OpenAction" and isinstance(value, (DictionaryObject, IndirectObject)):
                    action = value.get_object()
                    if isinstance(action, DictionaryObject) and action.get("/S") != "/GoTo":
                        return "/OpenAction"
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


# --- Sending a stored document back ------------------------------------------------------------------------------

DOCUMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def document_response(document) -> FileResponse:
    """Stream a stored ClaimDocument from the private storage with headers that keep it inert.

    No permission check here: the views fetch the document with claims.selectors.document_for_user (claimant of
    the claim or staff of its branch, 404 otherwise) and only then call this.

    The Content-Type is the one stored at upload (never guessed from the name); a type outside the accepted ones is
    sent as a download of application/octet-stream. The file name shown is built from the claim number and the
    document kind, never the uploader's name.
    """
    content_type = document.content_type if document.content_type in INLINE_TYPES else "application/octet-stream"
    inline = content_type in INLINE_TYPES
    try:
        handle = claim_documents_storage().open(document.file.name, "rb")
    except FileNotFoundError:
        # A row without its file is our fault (a restore, a manual delete): say so in the log, show a plain 404.
        logger.error("claim document %s: file %s is missing from the storage", document.pk, document.file.name)
        raise Http404("document file missing")
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = cast(str, content_disposition_header(  # None only without a filename
        as_attachment=not inline, filename=document_filename(document, content_type)))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = DOCUMENT_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response


def document_filename(document, content_type: str) -> str:
    """An ASCII file name like `JKM-2026-000123-death_cert.pdf`."""
    stem = f"{document.claim.number}-{document.kind}-{document.pk}"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "document"
    return stem + EXTENSIONS.get(content_type, ".bin")
