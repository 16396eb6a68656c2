"""Bulk imports: a sponsor's spreadsheet of workers (a local government's, usually), checked in full, then
registered all or nothing, and its rows with their verdicts."""


from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Sponsor


def bulk_imports_storage():
    """The private storage of uploaded spreadsheets (settings STORAGES["bulk_imports"]): never served by URL."""
    return storages["bulk_imports"]


class BulkImport(models.Model):
    """A spreadsheet of workers a sponsor (often a local government) registers and pays for at once."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        VALIDATED = "validated", _("Checked: waiting for confirmation")
        FAILED = "failed", _("Stopped: see the reason below")
        COMMITTING = "committing", _("Registering the workers")
        COMMITTED = "committed", _("Registered")

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/", storage=bulk_imports_storage, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    order = models.ForeignKey("contributions.PaymentOrder", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life of its job (status change, progress); the sweep queues a job silent for too long again.
    updated_at = models.DateTimeField(default=timezone.now)
    tries = models.PositiveSmallIntegerField(default=0, help_text="Times the sweep queued its job again")

    class Meta:
        db_table = "enrollment_bulkimport"  # kept from the app it moved out of
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="bulk_import_status_updated")]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return int(100 * self.done_rows / self.total_rows) if self.total_rows else 0


class BulkRowStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    EXISTING = "existing", _("Already a member")
    DUPLICATE = "duplicate", _("Duplicate in the file")
    REJECTED = "rejected", _("Rejected")


class BulkImportRow(models.Model):
    bulk_import = models.ForeignKey(BulkImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=BulkRowStatus.choices)
    reasons = models.JSONField(default=list)
    data = models.JSONField(default=dict, help_text="The row's answers; the NIK only encrypted")
    nik_index = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, for the duplicate checks in SQL")
    months = models.PositiveSmallIntegerField(default=0)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "enrollment_bulkimportrow"  # kept from the app it moved out of
        ordering = ["bulk_import", "row_number"]
        constraints = [models.UniqueConstraint(fields=["bulk_import", "row_number"], name="bulk_row_unique")]

    def __str__(self) -> str:
        return f"{self.bulk_import_id}:{self.row_number}"
