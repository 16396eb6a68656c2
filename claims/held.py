"""Documents chosen on a filing form that came back with an error (a missing name, a wrong date): kept, already
checked, in the private claim-documents storage, so a claimant on a weak connection does not send them again. Held
per session and per form; released when the claim is filed, dropped after HOLD_SECONDS."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from claims.uploads import CheckedUpload, claim_documents_storage, upload_check

HOLD_SECONDS = 24 * 3600
_ROOT = "held"


def _key(scope: str) -> str:
    return f"claims:held:{scope}"


def _fresh(entry: dict) -> bool:
    return timezone.now().timestamp() - entry["at"] < HOLD_SECONDS


def held(request, scope: str) -> dict[str, dict]:
    """{form field name: {"path", "name", "content_type", "at"}} of this session's form, expired ones dropped."""
    entries = request.session.get(_key(scope), {})
    return {field: entry for field, entry in entries.items() if _fresh(entry)}


def files_with_held(request, scope: str, fields: list[str]) -> MultiValueDict:
    """The POST's files, with a held document standing in for each field the claimant left empty this time. Held
    files go through upload_check again like any upload (a PDF is unchanged; a photo is re-encoded once more)."""
    files = MultiValueDict({name: request.FILES.getlist(name) for name in request.FILES})
    storage = claim_documents_storage()
    for field, entry in held(request, scope).items():
        if field in fields and not files.get(field) and storage.exists(entry["path"]):
            with storage.open(entry["path"], "rb") as stored:
                files[field] = SimpleUploadedFile(entry["name"], stored.read(), content_type=entry["content_type"])
    return files


def hold(request, scope: str, form, fields: list[str]) -> None:
    """After a failed submission: keep every document field that passed its checks (a new choice replaces the held
    one). Old held files of any session are swept here, so none outlives HOLD_SECONDS by much."""
    _sweep()
    storage = claim_documents_storage()
    entries = held(request, scope)
    for field in fields:
        upload = form.cleaned_data.get(field) if hasattr(form, "cleaned_data") else None
        if not upload or form.errors.get(field):
            continue
        checked: CheckedUpload = upload_check(upload)  # remembered on the upload: no second decode
        previous = entries.get(field)
        path = storage.save(f"{_ROOT}/{request.user.pk}/{checked.stored_name()}", checked.as_file())
        if previous and previous["path"] != path:
            storage.delete(previous["path"])
        entries[field] = {"path": path, "name": checked.original_name or checked.stored_name(),
                          "content_type": checked.content_type, "at": timezone.now().timestamp()}
    request.session[_key(scope)] = entries


def release(request, scope: str) -> None:
    """The claim is filed (its documents were stored as its own): the held copies go."""
    storage = claim_documents_storage()
    for entry in request.session.pop(_key(scope), {}).values():
        storage.delete(entry["path"])


def _sweep() -> None:
    storage = claim_documents_storage()
    if not storage.exists(_ROOT):
        return
    cutoff = timezone.now() - dt.timedelta(seconds=HOLD_SECONDS)
    users, _files = storage.listdir(_ROOT)
    for user in users:
        for name in storage.listdir(f"{_ROOT}/{user}")[1]:
            path = f"{_ROOT}/{user}/{name}"
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
