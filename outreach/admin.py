from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from .assignment import collectors_without_profile
from .experiments import validate_shares
from .models import (
    Alert,
    CallScript,
    CollectorProfile,
    Disclosure,
    Experiment,
    MessageTemplate,
    OutboundMessage,
    ProviderCallback,
    ReminderJob,
    Strategy,
    StrategyArm,
    StrategyStep,
    Task,
)


class StrategyStepInline(admin.TabularInline):
    model = StrategyStep
    extra = 1
    fields = ["offset_days", "until_days", "channel", "template_code", "conditions", "active"]

    def get_queryset(self, request):
        # The strategy's own steps (its champion's); a challenger arm's are edited on the arm's page.
        return super().get_queryset(request).filter(arm__isnull=True)


@admin.register(Strategy)
class StrategyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "platform", "product", "risk_segment", "vulnerable", "active"]
    list_filter = ["kind", "active", "platform", "product", "risk_segment", "vulnerable"]
    inlines = [StrategyStepInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["code", "language", "channel", "active", "updated_at"]
    list_filter = ["channel", "language", "active"]
    search_fields = ["code", "subject", "body"]


class DisclosureInline(admin.TabularInline):
    model = Disclosure
    extra = 1
    fields = ["position", "code", "text", "required"]


@admin.register(CallScript)
class CallScriptAdmin(SimpleHistoryAdmin):
    """Call scripts per rule pack, stage and language; their disclosures inline (checked on save for
    prohibited wording, as templates are)."""

    list_display = ["pack", "stage", "language", "title", "active", "updated_at"]
    list_filter = ["pack", "stage", "language", "active"]
    search_fields = ["title", "body", "disclosures__text", "disclosures__code"]
    inlines = [DisclosureInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs and messages are written by the pipeline only; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReminderJob)
class ReminderJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "step", "due_date", "scheduled_for", "status", "attempts", "deferrals", "skip_reason"]
    list_filter = ["status", "step__channel", "step__strategy"]
    search_fields = ["case__loan__external_id", "case__borrower__external_id"]
    list_select_related = ["step", "case"]
    date_hierarchy = "scheduled_for"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "to", "status", "provider", "provider_id", "created_at", "sent_at", "receipt_at"]
    list_filter = ["channel", "status", "provider"]
    search_fields = ["to", "provider_id", "idempotency_key"]


@admin.register(ProviderCallback)
class ProviderCallbackAdmin(ReadOnlyAdmin):
    """What the providers reported (receipts, bounces, complaints, replies), each once (outreach.callbacks)."""

    list_display = ["id", "provider", "kind", "external_id", "event", "result", "message", "received_at"]
    list_filter = ["provider", "kind", "event", "result"]
    search_fields = ["external_id", "message__provider_id"]
    raw_id_fields = ["message"]
    date_hierarchy = "received_at"


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["id", "case", "kind", "assigned_to", "due_at", "status", "reason"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["case", "job"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "borrower", "case", "supervisor", "created_at", "acknowledged_at"]
    list_filter = ["kind"]
    raw_id_fields = ["borrower", "case"]


@admin.register(CollectorProfile)
class CollectorProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "daily_capacity", "specialist", "active"]
    list_filter = ["specialist", "active"]

    def changelist_view(self, request, extra_context=None):
        # A collector without a profile takes the default workload (outreach.assignment): say who, so that
        # an administrator sets their capacity (or makes them a specialist) on purpose.
        bare = collectors_without_profile()
        if bare:
            default = CollectorProfile._meta.get_field("daily_capacity").get_default()
            messages.warning(
                request,
                _(
                    "Collectors without a profile take the default workload (%(capacity)s new cases a day, "
                    "not a specialist): %(names)s. Add a profile to set theirs."
                )
                % {"capacity": default, "names": ", ".join(u.username for u in bare)},
            )
        return super().changelist_view(request, extra_context)


# --- champion/challenger (outreach.experiments) -------------------------------------------------------------


class ArmFormSet(forms.BaseInlineFormSet):
    """The arms of an experiment: the champion and at least one challenger, shares adding up to 100."""

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        errors = validate_shares(
            [f.cleaned_data.get("share") or 0 for f in kept], sum(bool(f.cleaned_data.get("champion")) for f in kept)
        )
        if errors:
            raise forms.ValidationError(errors)


class StrategyArmInline(admin.TabularInline):
    model = StrategyArm
    formset = ArmFormSet
    extra = 2
    fields = ["name", "share", "champion"]
    show_change_link = True  # the arm's page edits its own steps


@admin.register(Experiment)
class ExperimentAdmin(SimpleHistoryAdmin):
    """A champion/challenger experiment on a strategy: its arms and their traffic shares. The comparison and
    the promotion of an arm are on the supervision dashboard."""

    list_display = ["name", "strategy", "stage", "started_at", "started_by", "closed_at", "promoted_arm"]
    list_filter = ["stage", "strategy"]
    fields = ["strategy", "name", "stage", "started_at", "started_by", "closed_at", "closed_by", "promoted_arm"]
    readonly_fields = ["started_by", "closed_at", "closed_by", "promoted_arm"]
    inlines = [StrategyArmInline]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.started_by = request.user
        super().save_model(request, obj, form, change)


class ArmStepInline(admin.TabularInline):
    model = StrategyStep
    fk_name = "arm"
    extra = 1
    fields = ["offset_days", "until_days", "channel", "template_code", "conditions", "active"]


@admin.register(StrategyArm)
class StrategyArmAdmin(SimpleHistoryAdmin):
    """A challenger arm's own steps (the champion's are the strategy's); each becomes a reminder job under
    the compliance gate like any other step."""

    list_display = ["name", "experiment", "share", "champion"]
    list_filter = ["champion", "experiment"]
    fields = ["experiment", "name", "share", "champion"]
    readonly_fields = ["experiment", "share", "champion"]
    inlines = [ArmStepInline]

    def has_add_permission(self, request) -> bool:
        return False  # arms are added with their experiment, where the shares are checked together

    def save_formset(self, request, form, formset, change) -> None:
        # The arm's steps belong to its experiment's strategy.
        for step in formset.save(commit=False):
            step.strategy_id = form.instance.experiment.strategy_id
            step.save()
        for step in formset.deleted_objects:
            step.delete()
        formset.save_m2m()
