from django.http import Http404

# Largest value a BigAutoField primary key can hold; a bigger posted id matches nothing (and overflows SQLite).
_MAX_ID = 2**63 - 1


def posted_id_or_404(value: str | None) -> int:
    """An object id from a form field: missing, non-numeric or out-of-range ids are a 404, never a 500."""
    if value is None or not value.strip().isdigit() or not value.strip().isascii():
        raise Http404
    number = int(value.strip())
    if not 0 < number <= _MAX_ID:
        raise Http404
    return number
