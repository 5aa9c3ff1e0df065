"""Plan pages: propose (with the schedule shown first), the plan, approvals, and the written agreement.

Thin on purpose: parse, one access helper, one service, render. Each page needs its permission of the
role matrix (accounts.roles: reading a plan `view_cases`; proposing, cancelling and sending `work_case`;
approving and refusing `approve_plans`), else 403; and only reaches plans of the cases
`Case.objects.visible_to(user)` allows, anything else is a 404.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import Perm, can, permission_required
from cases.models import Case

from . import selectors, services
from .agreement import LANGUAGES, agreement_context, agreement_pdf_bytes, agreement_send
from .models import OPEN_PLAN_STATUSES, Frequency, Plan, PlanKind, PlanStatus


def _get_plan_for_user(request: AuthenticatedHttpRequest, pk: int) -> Plan:
    plan = selectors.plan_get_for_user(request.user, pk)
    if plan is None:
        raise Http404
    return plan


def _get_case_for_user(request: AuthenticatedHttpRequest, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).select_related("loan", "borrower").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


class PlanProposeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PlanKind.choices)
    first_due_date = forms.DateField(
        label=gettext_lazy("First due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    installment_count = forms.IntegerField(label=gettext_lazy("Installments"), min_value=1, max_value=120, initial=3)
    frequency = forms.ChoiceField(label=gettext_lazy("Frequency"), choices=Frequency.choices, initial="monthly")
    amounts = forms.CharField(
        label=gettext_lazy("Amounts (optional)"),
        required=False,
        help_text=gettext_lazy("Comma-separated, adding up to the plan total; empty for equal installments."),
    )
    total_amount = forms.DecimalField(
        label=gettext_lazy("Plan total (installment plan)"), required=False, max_digits=14, decimal_places=2
    )
    settlement_amount = forms.DecimalField(
        label=gettext_lazy("Settlement amount"), required=False, max_digits=14, decimal_places=2
    )
    waive_interest = forms.BooleanField(label=gettext_lazy("Waive interest"), required=False)
    waive_fees = forms.BooleanField(label=gettext_lazy("Waive fees"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    # The terms each kind of plan takes (repayment_plans.services.plan_terms); the page shows only these,
    # and terms() passes only these, so a value left in a field of another kind changes nothing.
    KIND_FIELDS = {
        PlanKind.INSTALLMENT: ("first_due_date", "installment_count", "frequency", "amounts", "total_amount"),
        PlanKind.DEFERRAL: ("first_due_date",),
        PlanKind.SETTLEMENT: ("first_due_date", "installment_count", "frequency", "amounts", "settlement_amount"),
        PlanKind.WAIVER: (
            "first_due_date",
            "installment_count",
            "frequency",
            "amounts",
            "waive_interest",
            "waive_fees",
        ),
    }

    def kind_now(self) -> str:
        """The kind the page shows the fields of: the posted one, else the first."""
        kind = self.data.get("kind") if self.is_bound else None
        return kind if kind in self.KIND_FIELDS else PlanKind.INSTALLMENT

    def fields_by_kind(self) -> list[tuple[forms.BoundField, str, bool]]:
        """Each term field, the kinds it belongs to, and whether the kind shown is one of them (the others
        are hidden; static/js/plan-form.js shows a kind's fields when the kind changes)."""
        shown = self.kind_now()
        rows = []
        for name in self.fields:
            if name in ("kind", "reason"):
                continue
            kinds = [str(kind) for kind, names in self.KIND_FIELDS.items() if name in names]
            rows.append((self[name], " ".join(kinds), shown in kinds))
        return rows

    def clean_amounts(self) -> list[Decimal] | None:
        raw = (self.cleaned_data.get("amounts") or "").strip()
        if not raw:
            return None
        try:
            return [Decimal(part.strip()) for part in raw.split(",") if part.strip()]
        except InvalidOperation:
            raise forms.ValidationError(_("Enter amounts such as 300.00, 300.00, 400.00."))

    def terms(self) -> dict:
        kind = self.cleaned_data["kind"]
        data = {k: v for k, v in self.cleaned_data.items() if k == "kind" or k in self.KIND_FIELDS.get(kind, ())}
        for optional in ("amounts", "total_amount", "settlement_amount"):
            if data.get(optional) in (None, ""):
                data.pop(optional, None)
        return data


def _attach_errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@permission_required(Perm.WORK_CASE)
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    """Propose a plan: the first POST (action=preview) shows the schedule; the second proposes it."""
    case = _get_case_for_user(request, case_pk)
    preview = None
    form = PlanProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "propose":
                plan = services.plan_propose(
                    case=case, user=request.user, reason=form.cleaned_data["reason"], **form.terms()
                )
                if plan.status == PlanStatus.PENDING_APPROVAL:
                    messages.info(request, _("The plan is beyond your limits and waits for a supervisor."))
                else:
                    messages.success(request, _("The plan is active; its agreement is ready to print or send."))
                return redirect("plan-detail", pk=plan.pk)
            preview = services.plan_preview(case=case, user=request.user, **form.terms())
        except ValidationError as exc:
            _attach_errors(form, exc)
    return render(
        request,
        "repayment_plans/plan_new.html",
        {"case": case, "form": form, "preview": preview, "balance": services.loan_balance(case.loan_id)},
    )


@permission_required(Perm.VIEW_CASES)
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan_for_user(request, pk)
    can_decide = (
        can(request.user, Perm.APPROVE_PLANS)
        and plan.status == PlanStatus.PENDING_APPROVAL
        and plan.proposed_by_id != request.user.pk
        and not any(a.user_id == request.user.pk for a in plan.approvals.all())
    )
    can_cancel = can(request.user, Perm.WORK_CASE) and plan.status in OPEN_PLAN_STATUSES
    return render(
        request,
        "repayment_plans/plan_detail.html",
        {"plan": plan, "case": plan.case, "can_decide": can_decide, "can_cancel": can_cancel},
    )


@permission_required(Perm.APPROVE_PLANS)
@require_GET
def plan_approvals(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The one approvals page is the supervisors' (state, approvers, who must still approve, limits): this
    older address, kept for bookmarks, sends there (by name: supervision sits above this app)."""
    return redirect("supervision:approvals")


def _decide(request: AuthenticatedHttpRequest, pk: int, action) -> HttpResponse:
    plan = _get_plan_for_user(request, pk)
    try:
        action(plan, request.POST.get("reason", ""))
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    return redirect("plan-detail", pk=plan.pk)


@permission_required(Perm.APPROVE_PLANS)
@require_POST
def plan_approve_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, lambda plan, reason: services.plan_approve(plan=plan, user=request.user, reason=reason))


@permission_required(Perm.APPROVE_PLANS)
@require_POST
def plan_reject_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, lambda plan, reason: services.plan_reject(plan=plan, user=request.user, reason=reason))


@permission_required(Perm.WORK_CASE)
@require_POST
def plan_cancel_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, lambda plan, reason: services.plan_cancel(plan=plan, user=request.user, reason=reason))


@permission_required(Perm.WORK_CASE)
@require_POST
def plan_agreement_send_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan_for_user(request, pk)
    try:
        dispatch = agreement_send(plan=plan, channel=request.POST.get("channel", ""), user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        if dispatch.status == dispatch.Status.BLOCKED:
            messages.warning(request, _("Blocked by compliance: nothing was sent."))
        else:
            messages.success(request, dispatch.get_status_display())
    return redirect("plan-detail", pk=plan.pk)


@permission_required(Perm.VIEW_CASES)
@require_GET
def plan_agreement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The printable agreement, in the borrower's language (or ?lang=en|zh-hans for a copy)."""
    plan = _get_plan_for_user(request, pk)
    if plan.activated_at is None:
        raise Http404
    lang = request.GET.get("lang")
    context = agreement_context(plan, lang if lang in LANGUAGES else None)
    return render(request, "repayment_plans/agreement_page.html", {**context, "case": plan.case})


@permission_required(Perm.VIEW_CASES)
@require_GET
def plan_agreement_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan_for_user(request, pk)
    if plan.activated_at is None:
        raise Http404
    response = HttpResponse(agreement_pdf_bytes(plan), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="RP-{plan.pk:06d}.pdf"'
    return response
