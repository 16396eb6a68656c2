"""Bulk registration from a spreadsheet (local governments, companies): read, check every row, report, then
register everyone in one transaction and issue one invoice.

reading: the columns, the template, a file's rows; checks: one row's checks; validation: the upload and the check of
a whole file; registration: everyone registered and invoiced; jobs: the check and the registration as jobs, the
retry and the sweep; report: the per-row report.
"""

from sponsors.bulk.jobs import (
    RetryRefused,
    bulk_import_commit_job,
    bulk_import_commit_start,
    bulk_import_retry,
    bulk_import_validate_job,
    bulk_imports_sweep,
)
from sponsors.bulk.reading import COLUMNS, REQUIRED, FileUnreadable, read_rows, template_csv
from sponsors.bulk.registration import bulk_import_commit
from sponsors.bulk.report import report_rows
from sponsors.bulk.validation import BATCH, bulk_import_start, bulk_import_validate

__all__ = [
    "BATCH",
    "COLUMNS",
    "REQUIRED",
    "FileUnreadable",
    "RetryRefused",
    "bulk_import_commit",
    "bulk_import_commit_job",
    "bulk_import_commit_start",
    "bulk_import_retry",
    "bulk_import_start",
    "bulk_import_validate",
    "bulk_import_validate_job",
    "bulk_imports_sweep",
    "read_rows",
    "report_rows",
    "template_csv",
]
