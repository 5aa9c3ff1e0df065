"""Supervisor pages: audit, evidence, quality review, agencies, dashboard, approvals and assignment."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import Perm, permission_required
from borrowers.zones import borrower_local_time
from cases.models import Case, CaseStatus, Stage
from compliance import evidence
from compliance.models import Decision, EvidenceKind, EvidenceLink, VerificationRun
from compliance.rule_names import rule_name
from contacts.models import ContactAttempt
from core.htmx import wants_fragment
from outreach import experiments as outreach_experiments
from outreach.models import Experiment, StrategyArm
from repayment_plans import services as plan_services
from repayment_plans.models import Plan, PlanStatus

from . import experiments, selectors, services
from .audit import audit_rows, csv_lines, present
from .forms import (
    AgencyContractForm,
    AuditFilterForm,
    BulkPlacementForm,
    DashboardFilterForm,
    EvidenceRunForm,
    ExperimentForm,
    PlacementForm,
    QualityReviewForm,
    ReassignForm,
    RebalanceForm,
    RecallForm,
    SampleForm,
)
from .history import record_history
from .models import AgencyContract, QualityReview, QualitySample

AUDIT_PAGE_SIZE = 50
STAGE_LABELS = dict(Stage.choices)


def _zone(request: HttpRequest) -> str:
    """The user's own time zone for date filters and display; UTC when theirs is not a valid zone."""
    name = getattr(request.user, "timezone", "") or "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


# --- audit -------------------------------------------------------------------------------------------------


@permission_required(Perm.AUDIT)
@require_GET
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    rows = audit_rows(form.to_filters(zone=_zone(request)), user=request.user)
    if request.GET.get("export") == "csv":
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        lines = csv_lines(rows, language=translation.get_language())
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contact-audit-{stamp}.csv"'
        return response
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    context = {
        "form": form,
        "page_obj": page,
        "rows": [present(r) for r in page.object_list],
        "query": query.urlencode(),
        "zone": _zone(request),
    }
    template = "supervision/_audit_table.html" if wants_fragment(request) else "supervision/audit.html"
    return render(request, template, context)


def _evidence_for(kind_ids: Sequence[tuple[str, int]]) -> list[EvidenceLink]:
    q = Q(pk__in=[])
    for kind, object_id in kind_ids:
        q |= Q(kind=kind, object_id=object_id)
    return list(EvidenceLink.objects.filter(q).order_by("seq"))


@permission_required(Perm.AUDIT)
@require_GET
def audit_contact(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        ContactAttempt.objects.visible_to(request.user).select_related(
            "borrower", "case", "loan", "actor_user", "actor_user__team", "actor_user__agency", "decision"
        ),
        pk=pk,
    )
    decision = contact.decision
    override_of = (
        Decision.objects.filter(pk=decision.override_of_id).first() if decision and decision.override_of_id else None
    )
    kinds = [(EvidenceKind.CONTACT, contact.pk), (EvidenceKind.CONTACT_OUTCOME, contact.pk)]
    if decision:
        kinds.append((EvidenceKind.DECISION, decision.pk))
    failure, _count = evidence.verify_borrower(contact.borrower_id)
    context = {
        "contact": contact,
        "decision": decision,
        "override_of": override_of,
        "links": _evidence_for(kinds),
        "chain_failure": failure,
        "history": record_history(case=contact.case, borrower=contact.borrower, around=contact.at),
        "sample": QualitySample.objects.filter(contact=contact).first(),
        "zone": _zone(request),
    }
    return render(request, "supervision/audit_contact.html", context)


@permission_required(Perm.AUDIT)
@require_GET
def audit_decision(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.visible_to(request.user).select_related("borrower", "case", "actor_user"), pk=pk
    )
    contact = ContactAttempt.objects.filter(decision=decision).first()
    if contact is not None:
        return redirect("supervision:audit-contact", pk=contact.pk)
    failure, _count = evidence.verify_borrower(decision.borrower_id)
    context = {
        "decision": decision,
        "override_of": decision.override_of,
        "overrides": list(decision.overrides.all()),
        "links": _evidence_for([(EvidenceKind.DECISION, decision.pk)]),
        "chain_failure": failure,
        "history": record_history(case=decision.case, borrower=decision.borrower, around=decision.at),
        "zone": _zone(request),
    }
    return render(request, "supervision/audit_decision.html", context)


# --- evidence ------------------------------------------------------------------------------------------------


@permission_required(Perm.AUDIT)
@require_http_methods(["GET", "POST"])
def evidence_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The chain's state. Verification runs on demand (a button), never on page load: it reads every link."""
    form = EvidenceRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["scope"] == EvidenceRunForm.SCOPE_ALL:
            report, scope = evidence.verify(), "all"
        else:
            limit = form.cleaned_data["limit"]
            report = evidence.verify(borrower_ids=evidence.recent_borrower_ids(limit))
            scope = _("%(n)s most recent chains") % {"n": limit}
        VerificationRun.objects.create(
            started_by=request.user,
            scope=scope,
            borrowers_checked=report.borrowers_checked,
            links_checked=report.links_checked,
            ok=report.ok,
            failures=report.failures_as_dicts(),
        )
        return redirect("supervision:evidence")
    chains, fingerprint = evidence.chain_fingerprint()
    context = {
        "form": form if request.method == "POST" else EvidenceRunForm(),
        "runs": list(VerificationRun.objects.select_related("started_by")[:10]),
        "links_total": EvidenceLink.objects.count(),
        "chains": chains,
        "fingerprint": fingerprint,
    }
    return render(request, "supervision/evidence.html", context)


# --- quality -------------------------------------------------------------------------------------------------


@permission_required(Perm.SUPERVISE)
@require_http_methods(["GET", "POST"])
def quality_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = SampleForm(request.POST or None, initial={"date_from": today - dt.timedelta(days=7), "date_to": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = services.quality_samples_draw(
            user=request.user,
            date_from=data["date_from"],
            date_to=data["date_to"],
            share_percent=data["share_percent"],
            seed=data["seed"],
            zone=_zone(request),
        )
        messages.success(
            request,
            _("%(n)s contact(s) sampled (seed %(seed)s).") % {"n": len(result.created), "seed": result.seed},
        )
        return redirect("supervision:quality")
    samples = list(
        QualitySample.objects.visible_to(request.user)
        .select_related("contact", "contact__actor_user", "contact__borrower", "review", "review__reviewer")
        .order_by("-created_at", "-id")[:100]
    )
    context = {
        "form": form,
        "samples": samples,
        "results": selectors.quality_results(user=request.user, since=timezone.now() - dt.timedelta(days=365)),
    }
    return render(request, "supervision/quality.html", context)


@permission_required(Perm.SUPERVISE)
@require_http_methods(["GET", "POST"])
def quality_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sample = get_object_or_404(
        QualitySample.objects.visible_to(request.user).select_related(
            "contact", "contact__actor_user", "contact__borrower", "contact__decision"
        ),
        pk=pk,
    )
    review = QualityReview.objects.filter(sample=sample).select_related("reviewer").first()
    # What the call script asked to be read and what the collector ticked (outreach.call_scripts): the
    # "disclosure made" check starts from it, and the reviewer confirms it against the recording.
    disclosures = sample.contact.disclosures or []
    missed = [d for d in disclosures if d.get("required") and not d.get("read")]
    initial = {"disclosure_made": not missed} if disclosures else {}
    form = QualityReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and review is None and form.is_valid():
        try:
            services.quality_review_save(sample=sample, reviewer=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("Review saved."))
            return redirect("supervision:quality")
    context = {
        "sample": sample,
        "review": review,
        "form": form,
        "disclosures": disclosures,
        "disclosures_missed": missed,
        "disclosures_required": sum(1 for d in disclosures if d.get("required")),
        "disclosures_required_read": sum(1 for d in disclosures if d.get("required") and d.get("read")),
    }
    return render(request, "supervision/quality_review.html", context)


# --- agencies ------------------------------------------------------------------------------------------------


@permission_required(Perm.SUPERVISE)
@require_http_methods(["GET", "POST"])
def agencies_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    place_form = PlacementForm(request.POST if action == "place" else None)
    bulk_form = BulkPlacementForm(request.POST if action == "bulk" else None)
    contract_form = AgencyContractForm(
        request.POST if action == "contract" else None, instance=_contract_for(request.POST.get("agency"))
    )
    recall_form = RecallForm(request.POST if action == "recall" else None)
    if request.method == "POST":
        try:
            done = _agency_action(request, action, place_form, bulk_form, contract_form, recall_form)
        except ValidationError as error:
            _error_messages(request, error)
            done = False
        if done:
            return redirect("supervision:agencies")
    summaries = selectors.agency_summaries(user=request.user)
    placed = (
        Case.objects.visible_to(request.user)
        .filter(agency__isnull=False, status=CaseStatus.OPEN)
        .select_related("agency", "borrower", "loan")
        .order_by("agency__name", "-priority")[:200]
    )
    context = {
        "summaries": summaries,
        "placed": placed,
        "place_form": place_form,
        "bulk_form": bulk_form,
        "contract_form": contract_form,
        "recall_form": recall_form,
    }
    return render(request, "supervision/agencies.html", context)


def _agency_action(
    request: AuthenticatedHttpRequest,
    action: str,
    place_form: PlacementForm,
    bulk_form: BulkPlacementForm,
    contract_form: AgencyContractForm,
    recall_form: RecallForm,
) -> bool:
    """Run the posted action; True when it succeeded (then the page redirects)."""
    user = request.user
    if action == "place" and place_form.is_valid():
        data = place_form.cleaned_data
        case = _supervised_case(request, data["case"])
        services.case_place(case=case, agency=data["agency"], user=user, reason=data["reason"])
        messages.success(request, _("Case #%(id)s placed with %(agency)s.") % {"id": case.pk, "agency": data["agency"]})
        return True
    if action == "bulk" and bulk_form.is_valid():
        data = bulk_form.cleaned_data
        placed = services.cases_place_by_stage(
            stage=data["stage"], agency=data["agency"], max_count=data["max_count"], user=user, reason=data["reason"]
        )
        messages.success(
            request, _("%(n)s case(s) placed with %(agency)s.") % {"n": len(placed), "agency": data["agency"]}
        )
        return True
    if action == "recall" and recall_form.is_valid():
        case = _supervised_case(request, recall_form.cleaned_data["case"])
        services.case_recall(case=case, user=user, reason=recall_form.cleaned_data["reason"])
        messages.success(request, _("Case #%(id)s recalled.") % {"id": case.pk})
        return True
    if action == "contract" and contract_form.is_valid():
        contract = contract_form.save(commit=False)
        contract._history_user = user
        contract.save()
        messages.success(request, _("Contract terms saved."))
        return True
    return False


def _contract_for(agency_id: str | None) -> AgencyContract | None:
    """The agency's current terms, so that saving the form updates them instead of clashing."""
    return AgencyContract.objects.filter(agency_id=agency_id).first() if agency_id and agency_id.isdigit() else None


def _supervised_case(request: AuthenticatedHttpRequest, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise ValidationError({"case": [_("Case #%(id)s does not exist or is not yours to manage.") % {"id": pk}]})
    return case


# --- dashboard -----------------------------------------------------------------------------------------------


@permission_required(Perm.SUPERVISE)
@require_GET
def dashboard_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    figures = selectors.dashboard(
        user=request.user, platform=data.get("platform"), team=data.get("team"), months=data.get("months") or 6
    )
    chart_data = _chart_data(figures)
    # Champion/challenger: open experiments and those closed in the period, arm by arm.
    compared = experiments.comparisons(
        user=request.user,
        platform=data.get("platform"),
        team=data.get("team"),
        since=selectors.Period.last(data.get("months") or 6).start,
    )
    context = {"form": form, "f": figures, "chart_data": chart_data, "experiments": compared}
    return render(request, "supervision/dashboard.html", context)


@permission_required(Perm.SUPERVISE)
@require_POST
def experiment_promote(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Promote an arm: its steps become the strategy's, the experiment closes (who and when recorded)."""
    arm = get_object_or_404(StrategyArm.objects.select_related("experiment"), pk=pk)
    try:
        outreach_experiments.experiment_promote(arm=arm, by=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("%(arm)s promoted: its steps are now the strategy's, and the experiment %(experiment)s is closed.")
            % {"arm": arm.name, "experiment": arm.experiment.name},
        )
    return redirect("supervision:dashboard")


@permission_required(Perm.SUPERVISE)
@require_http_methods(["GET", "POST"])
def experiments_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up a challenger for a stage (outreach.experiments.experiment_start) and see the experiments,
    running, scheduled and closed; their comparison and the promotion of an arm are on the dashboard."""
    form = ExperimentForm(request.POST or None, initial={"starts_on": timezone.now().date()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            experiment = outreach_experiments.experiment_start(
                strategy=data["strategy"],
                challenger_from=data["challenger_from"],
                name=data["name"],
                stage=data["stage"],
                champion_share=data["champion_share"],
                challenger_share=data["challenger_share"],
                starts_at=dt.datetime.combine(data["starts_on"], dt.time.min, tzinfo=dt.UTC),
                by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Experiment %(name)s set up.") % {"name": experiment.name})
            return redirect("supervision:experiments")
    listed = (
        Experiment.objects.select_related("strategy", "started_by", "closed_by", "promoted_arm")
        .prefetch_related(
            Prefetch("arms", queryset=StrategyArm.objects.order_by("-champion", "id").prefetch_related("steps"))
        )
        .annotate(assigned=Count("assignments"))
        .order_by("closed_at", "-started_at", "-id")[:50]
    )
    return render(request, "supervision/experiments.html", {"form": form, "experiments": listed, "now": timezone.now()})


def _form_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal shown on the form: on its field when the form has it, else above the fields."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@permission_required(Perm.SUPERVISE)
@require_POST
def experiment_stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Stop an experiment, keeping the champion (its challengers' steps retire; who and when recorded)."""
    experiment = get_object_or_404(Experiment, pk=pk)
    try:
        outreach_experiments.experiment_stop(experiment=experiment, by=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Experiment %(name)s stopped: the champion stays.") % {"name": experiment.name})
    return redirect("supervision:experiments")


# What each drill-down lists, as its page's heading (selectors.kpi_cases says how each is computed).
KPI_TITLES = {
    "cure": gettext_lazy("Cases in the cure rate's cohort"),
    "cure_missed": gettext_lazy("Cases of the cohort not cured within the window"),
    "promises": gettext_lazy("Cases with a promise in the promise kept rate"),
    "promises_missed": gettext_lazy("Cases with a promise not kept in full"),
    "rpc": gettext_lazy("Cases with an outbound call in the period"),
    "recovered": gettext_lazy("Cases with a payment recovered in the period"),
    "liquidation": gettext_lazy("Cases worked in the period"),
}


@permission_required(Perm.SUPERVISE)
@require_GET
def kpi_cases_page(request: AuthenticatedHttpRequest, kpi: str) -> HttpResponse:
    """The cases behind a figure of the dashboard, with the dashboard's filters (docs/kpis.md, Drill-down)."""
    if kpi not in selectors.DRILL_DOWNS:
        raise Http404
    form = DashboardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    scope = selectors.dashboard_scope(user=request.user, platform=data.get("platform"), team=data.get("team"))
    period = selectors.Period.last(data.get("months") or 6)
    cases = (
        selectors.kpi_cases(scope, period, kpi)
        .select_related("borrower", "loan", "assigned_to", "agency")
        .order_by("-priority", "-dpd", "id")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for case in page.object_list:
        case.borrower_local_time = borrower_local_time(case.borrower, now)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    dashboard_query = query.urlencode()
    context = {
        "title": KPI_TITLES[kpi],
        "kpi": kpi,
        "cases": page.object_list,
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "filter_query": dashboard_query,
        "dashboard_query": dashboard_query,
        "period": period.labels,
    }
    return render(request, "supervision/kpi_cases.html", context)


def _money_series(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Rows of {label, currency, amount} as a chart's categories and one dataset per currency (amounts
    of different currencies are never stacked or added)."""
    labels = list(dict.fromkeys(r["label"] for r in rows))
    currencies = sorted({r["currency"] for r in rows})
    amounts = {(r["label"], r["currency"]): float(r["amount"]) for r in rows}
    return {
        "labels": labels,
        "datasets": [
            {"label": f"{title} ({c})", "data": [amounts.get((label, c), 0) for label in labels]} for c in currencies
        ],
    }


def _chart_data(f: dict[str, Any]) -> dict[str, Any]:
    """What the charts draw: plain numbers and already translated labels (the JS translates nothing).
    Money is one dataset per currency, labelled with its code."""
    stage_currencies = sorted({a["currency"] for s in f["stages"] for a in s["amounts"]})
    overdue = _("Overdue amount")
    recovered = _("Recovered")
    return {
        "months": f["months"],
        "stages": {
            "labels": [s["label"] for s in f["stages"]],
            "cases": [s["cases"] for s in f["stages"]],
            "amounts": [
                {
                    "label": f"{overdue} ({c})",
                    "data": [
                        float(next((a["amount"] for a in s["amounts"] if a["currency"] == c), 0)) for s in f["stages"]
                    ],
                }
                for c in stage_currencies
            ],
            "casesLabel": _("Open cases"),
        },
        "rolls": [
            {"label": " → ".join(str(STAGE_LABELS.get(s, s)) for s in key.split(">")), "data": values}
            for key, values in f["roll_rates"].items()
        ],
        "rates": {
            "cure": f["cure"]["by_month"],
            "promise": f["promises"]["by_month"],
            "rpc": f["contacts"]["by_month"],
            "cureLabel": _("Cure rate (cohort) %"),
            "promiseLabel": _("Promise kept rate %"),
            "rpcLabel": _("Right-party contact rate %"),
        },
        "recovered": {
            "byMonth": [
                {"label": f"{recovered} ({c})", "data": [float(v) for v in values]}
                for c, values in f["recovered"]["by_month"].items()
            ],
            "channel": _money_series(f["recovered"]["by_channel"], recovered),
            "holders": _money_series(
                f["recovered"]["by_collector"] + [r for r in f["recovered"]["by_agency"] if r["key"]], recovered
            ),
        },
        "blocks": {
            "byRule": [[rule_name(code), n] for code, n in f["blocks"]["by_rule"]],
            "byMonth": f["blocks"]["by_month"],
            "contactsByMonth": f["contacts"]["contacts_by_month"],
            "label": _("Compliance blocks"),
            "contactsLabel": _("Contacts"),
        },
    }


# --- approvals and assignment -------------------------------------------------------------------------------


@permission_required(Perm.SUPERVISE)
@require_http_methods(["GET", "POST"])
def assignment_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    collectors = services.team_collectors(request.user)
    action = request.POST.get("action", "")
    reassign_form = ReassignForm(request.POST if action == "reassign" else None, collectors=collectors)
    rebalance_form = RebalanceForm(request.POST if action == "rebalance" else None, collectors=collectors)
    if request.method == "POST":
        try:
            if action == "reassign" and reassign_form.is_valid():
                data = reassign_form.cleaned_data
                case = _supervised_case(request, data["case"])
                services.case_reassign(case=case, to_user=data["to_user"], user=request.user, reason=data["reason"])
                messages.success(
                    request, _("Case #%(id)s assigned to %(user)s.") % {"id": case.pk, "user": data["to_user"]}
                )
                return redirect("supervision:assignment")
            if action == "rebalance" and rebalance_form.is_valid():
                data = rebalance_form.cleaned_data
                moved = services.collector_rebalance(
                    collector=data["collector"], user=request.user, reason=data["reason"]
                )
                summary = ", ".join(f"{name}: {n}" for name, n in sorted(moved.items())) or "0"
                messages.success(request, _("Cases moved: %(summary)s.") % {"summary": summary})
                return redirect("supervision:assignment")
        except ValidationError as error:
            _error_messages(request, error)
    loads = list(
        collectors.annotate(
            open_cases=Count("assigned_cases", filter=Q(assigned_cases__status=CaseStatus.OPEN)),
        ).values("pk", "username", "first_name", "last_name", "open_cases")
    )
    pool = (
        Case.objects.visible_to(request.user)
        .filter(status=CaseStatus.OPEN, assigned_to__isnull=True, agency__isnull=True)
        .select_related("borrower", "loan")
        .order_by("-priority", "id")[:50]
    )
    context = {"reassign_form": reassign_form, "rebalance_form": rebalance_form, "loads": loads, "pool": pool}
    return render(request, "supervision/assignment.html", context)


@permission_required(Perm.APPROVE_PLANS)
@require_GET
def approvals_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Plans (installments, deferrals, settlements, waivers) beyond their proposer's limits, oldest first:
    each with where it stands, who approved it, who must still approve, and the limits that apply."""
    context = {"items": selectors.approval_items(request.user), "limits": selectors.approval_limits(request.user)}
    return render(request, "supervision/approvals.html", context)


@permission_required(Perm.APPROVE_PLANS)
@require_POST
def approvals_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            plan = plan_services.plan_approve(plan=plan, user=request.user, reason=reason)
            messages.success(request, _approval_message(plan))
        elif decision == "reject":
            plan_services.plan_reject(plan=plan, user=request.user, reason=reason)
            messages.success(request, _("Plan #%(id)s refused.") % {"id": plan.pk})
        else:
            messages.error(request, _("Choose approve or refuse."))
    except ValidationError as error:
        _error_messages(request, error)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not decide on this plan."))
    return redirect("supervision:approvals")


def _approval_message(plan: Plan) -> str:
    """What an approval did: activated the plan, or recorded one level and left it waiting."""
    if plan.status != PlanStatus.PENDING_APPROVAL:
        return _("Plan #%(id)s approved: it is now %(status)s.") % {
            "id": plan.pk,
            "status": plan.get_status_display().lower(),
        }
    level = plan.approvals.count()
    if level == 1:
        return _("Plan #%(id)s: first approval recorded, waiting for a second approver whose limits cover it.") % {
            "id": plan.pk
        }
    return _("Plan #%(id)s: approval %(level)s recorded, waiting for a further approver whose limits cover it.") % {
        "id": plan.pk,
        "level": level,
    }
