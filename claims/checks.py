"""System checks: claim documents must never sit where the web server or collectstatic would hand them out."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


def _resolved(path) -> Path:
    return Path(path).expanduser().resolve()


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


@register()
def claim_documents_storage_check(app_configs=None, **kwargs):
    config = settings.STORAGES.get("claim_documents")
    if not config:
        return [Error('STORAGES["claim_documents"] is not configured.', id="claims.E001",
                      hint="Claim documents need a private FileSystemStorage outside static and media.")]
    options = config.get("OPTIONS", {})
    errors = []
    if options.get("base_url"):
        errors.append(Error('STORAGES["claim_documents"] has a base_url: claim documents must not have a URL.',
                            id="claims.E002", hint="Remove base_url; documents are streamed by the claim views."))
    location = options.get("location")
    if not location:
        errors.append(Error('STORAGES["claim_documents"] has no location; it would fall back to MEDIA_ROOT.',
                            id="claims.E003", hint="Set OPTIONS.location (settings.CLAIM_DOCUMENTS_ROOT)."))
        return errors
    served = []
    if settings.STATIC_ROOT:
        served.append(("STATIC_ROOT", settings.STATIC_ROOT))
    for entry in settings.STATICFILES_DIRS:
        served.append(("STATICFILES_DIRS", entry[1] if isinstance(entry, (list, tuple)) else entry))
    if settings.MEDIA_ROOT:
        served.append(("MEDIA_ROOT", settings.MEDIA_ROOT))
    documents = _resolved(location)
    for name, path in served:
        if _inside(documents, _resolved(path)):
            errors.append(Error(f'STORAGES["claim_documents"] location {documents} is inside {name} ({path}).',
                                id="claims.E004", hint="Keep claim documents outside every served folder."))
    return errors
