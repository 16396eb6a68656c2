"""Claim documents: where they are kept. Validation of uploads (content, size, PDF scripts) lives here too."""

from django.core.files.storage import storages


def claim_documents_storage():
    """Private storage (settings.STORAGES["claim_documents"]): outside static and media, no URL."""
    return storages["claim_documents"]
