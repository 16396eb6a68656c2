from django.db.models import QuerySet

from reference.models import Region


def region_children(*, parent_code: str | None) -> QuerySet[Region]:
    qs = Region.objects.filter(parent_id=parent_code) if parent_code else Region.objects.filter(level=1)
    return qs.order_by("name").only("code", "name", "level", "postal_code")


def region_get(*, code: str) -> Region | None:
    return Region.objects.filter(code=code).select_related("parent__parent__parent").first()


def region_path(*, region: Region | None) -> list[Region]:
    """The region and its ancestors, province first (none for no region)."""
    path = []
    node: Region | None = region
    while node is not None:
        path.append(node)
        node = node.parent
    return list(reversed(path))
