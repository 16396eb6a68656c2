"""The per-row report the uploader downloads."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models.fields.json import KT

from core.nik import nik_decrypt, nik_mask
from sponsors.models import BulkImport, BulkRowStatus


def report_rows(bulk: BulkImport) -> Iterator[list[str]]:
    """The per-row report, for people: what happened to each row and why, with the NIK masked. Read as plain
    values (no model objects): a million-row file's report is written in seconds."""
    yield ["baris", "status", "alasan", "nik", "nama", "kpj"]
    labels = dict(BulkRowStatus.choices)
    rows = (bulk.rows.order_by("row_number")
            .values_list("row_number", "status", "reasons", KT("data__nik_masked"), KT("data__nik"),
                         KT("data__name"), "member__kpj"))
    for number, status, reasons, masked, cipher, name, kpj in rows.iterator(chunk_size=5000):
        if masked is None:  # checked before masks were kept with the row
            masked = nik_mask(nik_decrypt(cipher)) if cipher else ""
        yield [str(number), str(labels[status]), " ".join(reasons), masked, name or "", kpj or ""]
