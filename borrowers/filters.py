from __future__ import annotations

import django_filters

from accounts.filters import StrictBooleanFilter, UtcIsoDateTimeFilter

from .models import Borrower


class BorrowerFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region", lookup_expr="iexact")
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    lost_contact = StrictBooleanFilter()

    class Meta:
        model = Borrower
        fields = ["region", "updated_since", "lost_contact"]
