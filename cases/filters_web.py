"""Filters for the case list page (the API has its own FilterSets)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Case, CaseStatus, RiskSegment, Stage


class CaseFilterSet(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices, empty_label=_("All stages"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CaseStatus.choices, empty_label=_("Any status"))
    risk_segment = django_filters.ChoiceFilter(
        label=_("Risk segment"), choices=RiskSegment.choices, empty_label=_("All segments")
    )

    class Meta:
        model = Case
        fields = ["stage", "status", "risk_segment"]
