from __future__ import annotations

import django_filters

from accounts.filters import UtcIsoDateTimeFilter

from .models import Case, CaseStatus, Loan, Stage


class CaseFilterSet(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    borrower = django_filters.CharFilter(field_name="borrower__external_id", help_text="Borrower external_id")
    loan = django_filters.CharFilter(field_name="loan__external_id", help_text="Loan external_id")
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Cases changed at or after this time (ISO 8601)"
    )

    class Meta:
        model = Case
        fields = ["stage", "status", "borrower", "loan", "updated_since"]


class LoanFilterSet(django_filters.FilterSet):
    borrower = django_filters.CharFilter(field_name="borrower__external_id", help_text="Borrower external_id")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Loans changed at or after this time (ISO 8601)"
    )

    class Meta:
        model = Loan
        fields = ["borrower", "stage", "updated_since"]
