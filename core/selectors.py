from django.db.models import QuerySet

from core.jobs import job_labels
from core.models import JobRun, OutboxMessage, Role, User


def outbox_messages(*, viewer: User, search: str = "") -> QuerySet[OutboxMessage]:
    """The outbox is for admins only: every worker's messages are in it, whatever the region."""
    if not (viewer.is_authenticated and viewer.role == Role.ADMIN):
        return OutboxMessage.objects.none()
    qs = OutboxMessage.objects.all()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        qs = qs.filter(recipient__contains=digits or search)
    return qs.order_by("-created_at", "-id")


def job_runs(*, job: str = "") -> QuerySet[JobRun]:
    qs = JobRun.objects.all()
    if job:
        qs = qs.filter(job=job)
    return qs.order_by("-started_at", "-id")


def job_overview() -> list[tuple[str, str, JobRun | None]]:
    """Every recorded job with its label and its latest run (None: never ran here), in label order."""
    labels = job_labels()
    latest = {}
    for job in labels:
        latest[job] = JobRun.objects.filter(job=job).order_by("-started_at", "-id").first()
    return sorted(((job, str(label), latest[job]) for job, label in labels.items()), key=lambda row: row[1])
