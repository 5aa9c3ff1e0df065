"""{{ borrower.region|region_name }}: a region's name in the page's language (borrowers.regions.region_label)."""

from django import template

from borrowers.regions import region_label

register = template.Library()


@register.filter
def region_name(region: str) -> str:
    return region_label(region)
