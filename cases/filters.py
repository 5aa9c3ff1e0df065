from __future__ import annotations

import django_filters

from .models import Case, CaseStatus, Loan, Stage


class CaseFilterSet(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    borrower = django_filters.CharFilter(field_name="borrower__external_id", help_text="Borrower external_id")
    loan = django_filters.CharFilter(field_name="loan__external_id", help_text="Loan external_id")

    class Meta:
        model = Case
        fields = ["stage", "status", "borrower", "loan"]


class LoanFilterSet(django_filters.FilterSet):
    borrower = django_filters.CharFilter(field_name="borrower__external_id", help_text="Borrower external_id")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = Loan
        fields = ["borrower", "stage"]
