"""The collector's workspace: the work queue and the case page with its actions.

Every action goes through the compliance gate (`outreach_authorize`) when it is posted, whatever the
page offered: the page hides what the preview says is blocked, and the gate refuses it anyway if posted.
With htmx an action answers with its result in place (#action-result) and fresh copies of the
timeline, compliance and actions panels (out-of-band swaps); without JavaScript it redirects back.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.forms import ChoiceField
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.roles import Perm, can, permission_required
from borrowers.models import Borrower, Channel
from borrowers.services import hold_create, opt_out_create
from borrowers.zones import borrower_zone
from cases.events import case_note_add
from cases.models import Case, CaseStatus, Installment, RiskSegment, Stage
from cases.views import _borrower_summary, _get_case_for_user
from compliance.actions import Actor, OutreachAction
from compliance.models import Decision, ValidationNotice
from compliance.preferences import InconvenientTimeForm, inconvenient_times_set, window_label
from compliance.preview import Verdict, load_histories, preview
from compliance.screening import screen_text
from compliance.services import GateResult, decision_override, non_overridable_codes, outreach_authorize
from compliance.validation import can_record_verification, verification_record
from contacts.models import ContactAttempt, Direction, Outcome
from contacts.services import OutcomeAlreadyRecorded, contact_record_outcome
from core.htmx import wants_fragment
from outreach import services as outreach_services
from outreach.call_scripts import ShownScript, disclosure_choices, disclosures_delivered, scripts_for_call
from outreach.callback_requests import CallbackNotAllowed, callback_schedule
from outreach.models import MessageStatus, TaskKind
from outreach.rendering import TemplateError, reminder_context, render_template
from outreach.selectors import case_segment_explanation, tasks_due
from repayment_plans.models import OPEN_PLAN_STATUSES, Promise, PromiseStatus
from repayment_plans.services import promise_create

from . import forms as wf
from .borrower_view import borrower_overview
from .search import SEARCH_LIMIT, case_search, result_phones
from .selectors import (
    QUEUE_PAGE_SIZE,
    CallableNow,
    case_timeline,
    compliance_panel,
    contact_points,
    queue_base,
    queue_callable,
    queue_cases,
    queue_in_order,
    queue_owner_choices,
    queue_rows,
)

# How many of my tasks and of today's promises My day lists above the worklist (the rest: their pages).
MY_DAY_ROWS = 10

ViewFunc = Callable[..., HttpResponse]


def _user_zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def in_user_zone(view: ViewFunc) -> ViewFunc:
    """Render times in the signed-in user's zone (User.zone_name: their own, else their team's), not the
    server's (the middleware does it for every page; kept for the workspace's date arithmetic)."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(_user_zone(request.user)):
            return view(request, *args, **kwargs)

    return wrapper


# --- the work queue ---------------------------------------------------------------------------------------


def _queue_params(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The queue's filters from the query string; whose queue only for users who may choose."""
    owners = queue_owner_choices(request.user)
    owner = None
    owner_id = request.GET.get("collector", "")
    if owner_id.isdigit():
        owner = owners.filter(pk=int(owner_id)).first()
    return {
        "owner": owner,
        "stage": request.GET.get("stage", ""),
        "segment": request.GET.get("segment", ""),
        "promise_due": request.GET.get("promise_due") == "1",
        "callable_only": request.GET.get("callable") == "1",
    }


def _queue_queryset(request: AuthenticatedHttpRequest, now: dt.datetime) -> tuple[Any, CallableNow]:
    """The queue in order (callable now first, each part in working order) and what the preview says."""
    params = _queue_params(request)
    callable_only = params.pop("callable_only")
    today = now.astimezone(_user_zone(request.user)).date()
    cases = queue_cases(request.user, at=now, today=today, **params)
    found = queue_callable(cases, at=now, next_when_none=True)
    return queue_in_order(cases, found.ids, callable_only=callable_only), found


class _CountedQueue:
    """The queue as the paginator sees it: pages sliced from the ordered queryset, the count taken from
    the filters alone when no filter needs the ordering's annotations (see queue_base)."""

    def __init__(self, request: AuthenticatedHttpRequest, now: dt.datetime) -> None:
        self.ordered_cases, self.callable = _queue_queryset(request, now)
        params = _queue_params(request)
        basic = {k: params[k] for k in ("owner", "stage", "segment")}
        self.counted = self.ordered_cases if params["promise_due"] else queue_base(request.user, **basic)
        self.callable_only = params["callable_only"]

    @property
    def ordered(self) -> bool:  # read by Paginator's check for an unordered list
        return self.ordered_cases.ordered

    def count(self) -> int:
        # Callable only: the ids the preview allowed (a primary-key list), counted with any other filter.
        return (self.ordered_cases if self.callable_only else self.counted).count()

    def __getitem__(self, key):
        return self.ordered_cases[key]


def _my_day(request: AuthenticatedHttpRequest, now: dt.datetime) -> dict[str, Any]:
    """My day above the worklist: my tasks due by the end of my day, the promises due today in this queue."""
    zone = _user_zone(request.user)
    today = now.astimezone(zone).date()
    end_of_day = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    tasks = tasks_due(request.user, until=end_of_day)
    params = _queue_params(request)
    cases = queue_base(request.user, **{k: params[k] for k in ("owner", "stage", "segment")})
    promises = (
        Promise.objects.filter(case__in=cases, due_date=today, status=PromiseStatus.PENDING)
        .select_related("case", "case__borrower", "case__loan")
        .order_by("case_id", "id")
    )
    return {
        "my_tasks": list(tasks[:MY_DAY_ROWS]),
        "my_tasks_count": tasks.count(),
        "promises_today": list(promises[:MY_DAY_ROWS]),
        "promises_today_count": promises.count(),
        "may_work": can(request.user, Perm.WORK_CASE),
        "may_supervise": False,  # reassignment is on the task list, not in My day
        "collectors": [],
        "placement": TaskKind.PLACEMENT,
        "next_url": reverse("queue"),
    }


@permission_required(Perm.VIEW_CASES)
@require_GET
@in_user_zone
def work_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My day: my tasks due, the promises due today, then the worklist (callable now first)."""
    now = timezone.now()
    # Paginator needs only count(), slicing and `ordered` (Django's documented contract); the stubs ask for
    # a sequence.
    queue = _CountedQueue(request, now)
    page: Page[Case] = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    query = request.GET.copy()
    query.pop("page", None)
    params = _queue_params(request)
    context = {
        "page_obj": page,
        "rows": queue_rows(page.object_list, at=now),
        "callable": queue.callable,
        "now": now,
        "filter_query": query.urlencode(),
        "params": params,
        "owners": list(queue_owner_choices(request.user)),
        "stages": Stage.choices,
        "segments": RiskSegment.choices,
    }
    if wants_fragment(request):
        return render(request, "workspace/_queue_table.html", context)
    context.update(_my_day(request, now))
    return render(request, "workspace/queue.html", context)


@permission_required(Perm.VIEW_CASES)
@require_GET
@in_user_zone
def queue_next(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The callable case after `after` in the queue's order (with the same filters), or the first one;
    never a case the gate would block now. When none may be called, back to the queue, saying when the
    first one may."""
    now = timezone.now()
    cases, found = _queue_queryset(request, now)
    query = request.GET.copy()
    query.pop("after", None)
    ids = found.ids
    if not ids:
        if found.next_at is not None:
            when = date_format(timezone.localtime(found.next_at), "SHORT_DATETIME_FORMAT")
            messages.info(
                request,
                _("Nobody in this queue may be called now. The first one may be called from %(time)s (case #%(case)s).")
                % {"time": when, "case": found.next_case_id},
            )
        elif cases.exists():
            messages.info(request, _("Nobody in this queue may be called now."))
        else:
            messages.info(request, _("Your queue is empty."))
        url = reverse("queue")
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    after = request.GET.get("after", "")
    target = ids[0]
    if after.isdigit() and int(after) in ids:
        if len(ids) == 1:
            # The case just worked is the only callable one: reopening it would be a loop, not a next case.
            messages.info(request, _("No other case in this queue may be called now."))
            url = reverse("queue")
            return redirect(f"{url}?{query.urlencode()}" if query else url)
        position = ids.index(int(after))
        target = ids[position + 1] if position + 1 < len(ids) else ids[0]
    url = reverse("case-detail", args=[target])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


# --- the case page ----------------------------------------------------------------------------------------


def _load_borrower(case: Case) -> Borrower:
    return (
        Borrower.objects.filter(pk=case.borrower_id)
        .select_related("platform")
        .prefetch_related("phones", "emails", "third_parties", Prefetch("holds"), "opt_outs")
        .get()
    )


def _offered(verdicts: list[Verdict], *, supervisor: bool) -> list[tuple[str, str]]:
    """The contact points a form offers: allowed ones; a supervisor also gets blocked ones, marked, so
    that the gate records the block and the supervisor can override it with a reason."""
    offered = []
    for v in verdicts:
        if v.allowed:
            offered.append((v.point, v.label))
        elif supervisor:
            offered.append((v.point, _("%(point)s — blocked, supervisor override") % {"point": v.label}))
    return offered


def _message_form(
    offered: dict[str, list[tuple[str, str]]], panel: dict[str, list[Verdict]], channel: str, language: str
) -> wf.MessageForm:
    form = wf.MessageForm(points=offered[channel], channel=channel, language=language, auto_id=f"id_{channel}_%s")
    form.verdicts = panel[channel]  # why nothing is offered, when nothing is
    return form


def _workspace_context(request: AuthenticatedHttpRequest, case: Case, *, now: dt.datetime) -> dict[str, Any]:
    user = request.user
    borrower = _load_borrower(case)
    history = load_histories([borrower], at=now)[borrower.pk]
    panel = compliance_panel(case, history, at=now, full_pii=user.sees_full_pii)
    supervisor = can(user, Perm.OVERRIDE_BLOCK)
    offered = {channel: _offered(verdicts, supervisor=supervisor) for channel, verdicts in panel.items()}
    all_points = [(point, label) for channel, point, _v, label in contact_points(borrower, full_pii=user.sees_full_pii)]
    language = borrower.language or "en"
    installments = list(Installment.objects.filter(loan_id=case.loan_id).order_by("seq"))
    today = now.astimezone(_user_zone(user)).date()
    for installment in installments:
        installment.is_overdue = installment.remaining > 0 and installment.due_date < today  # type: ignore[attr-defined]  # for the template
    loan = case.loan
    loan.annual_rate_percent = loan.annual_rate * 100 if loan.annual_rate is not None else None  # type: ignore[attr-defined]  # for the template
    open_case = case.status == CaseStatus.OPEN
    # An inbound call reads the same disclosures as an outbound one (the borrower's packs and the stage).
    inbound_scripts = scripts_for_call(case=case, borrower=borrower, user=user) if open_case else []
    return {
        "case": case,
        "loan": loan,
        "borrower": _borrower_summary(borrower, full_pii=user.sees_full_pii, now=now),
        "installments": installments,
        "payments": list(loan.payments.order_by("-paid_at")[:20]),
        "events": [],
        "timeline": case_timeline(case, borrower),
        "panel": [(Channel(c).label, c, verdicts) for c, verdicts in panel.items() if verdicts],
        "offered": offered,
        "borrower_zone": borrower_zone(borrower),
        "user_zone": _user_zone(user),
        "open_case": open_case,
        "plans": list(case.plans.order_by("-created_at")),
        "has_open_plan": any(p.status in OPEN_PLAN_STATUSES for p in case.plans.all()),
        "verdicts": panel,
        "call_form": wf.CallStartForm(points=offered[Channel.CALL], auto_id="id_call_%s"),
        # Every number on file: the borrower called from it, whatever the gate says of calling it.
        "inbound_form": wf.InboundCallForm(
            points=[
                (p, label)
                for c, p, _v, label in contact_points(borrower, full_pii=user.sees_full_pii)
                if c == Channel.CALL
            ],
            disclosures=disclosure_choices(inbound_scripts),
            auto_id="id_inbound_%s",
        ),
        "inbound_scripts": inbound_scripts,
        "message_forms": [
            (channel, _message_form(offered, panel, channel, language), Channel(channel).label)
            for channel in (Channel.SMS, Channel.EMAIL)
        ],
        "letter_form": wf.LetterForm(points=offered[Channel.LETTER], auto_id="id_letter_%s"),
        "visit_form": wf.VisitForm(points=offered[Channel.VISIT], user=user, auto_id="id_visit_%s"),
        "promise_form": wf.PromiseForm(auto_id="id_promise_%s"),
        "hold_form": wf.HoldForm(auto_id="id_hold_%s"),
        "note_form": wf.NoteForm(auto_id="id_note_%s"),
        "opt_out_form": wf.OptOutForm(points=all_points, auto_id="id_optout_%s"),
        "times_form": InconvenientTimeForm(auto_id="id_times_%s"),
        "inconvenient_times": [window_label(w) for w in borrower.inconvenient_times or []],
        # Only US borrowers' cases have one (the gate schedules it under the US pack): no query for others.
        "validation_notice": ValidationNotice.objects.filter(case=case).first()
        if borrower.region.upper().startswith("US-")
        else None,
        "can_record_verification": can_record_verification(user),
        # Why this segment (the scorecard's factors), the strategy, the borrower's best time to contact.
        "segment": case_segment_explanation(case, now=now),
        "overview": borrower_overview(user, borrower, call_verdicts=panel[Channel.CALL]),
        "other_open_cases": Case.objects.visible_to(user)
        .filter(borrower_id=case.borrower_id, status=CaseStatus.OPEN)
        .exclude(pk=case.pk)
        .select_related("loan"),
        "next_query": request.GET.urlencode(),
    }


@permission_required(Perm.VIEW_CASES)
@require_GET
@in_user_zone
def case_workspace(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    return render(request, "workspace/case.html", _workspace_context(request, case, now=timezone.now()))


# --- answering an action ----------------------------------------------------------------------------------


def _respond(
    request: AuthenticatedHttpRequest, case: Case, template: str, context: dict[str, Any], *, flash: str = ""
) -> HttpResponse:
    """htmx: the result fragment plus refreshed panels (out of band); otherwise back to the case page."""
    if getattr(request, "htmx", False):
        full = _workspace_context(request, case, now=timezone.now())
        full.update(context)
        full["result_template"] = template
        return render(request, "workspace/_action_response.html", full)
    if flash:
        messages.info(request, flash)
    return redirect("case-detail", pk=case.pk)


def _invalid(request: AuthenticatedHttpRequest, case: Case, form: Any) -> HttpResponse:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return _respond(request, case, "workspace/_result_error.html", {"errors": errors}, flash=" ".join(errors))


def _validation_error(request: AuthenticatedHttpRequest, case: Case, exc: ValidationError) -> HttpResponse:
    errors = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "message_dict") else exc.messages
    return _respond(request, case, "workspace/_result_error.html", {"errors": errors}, flash=" ".join(errors))


def _blocked(request: AuthenticatedHttpRequest, case: Case, gate: GateResult) -> HttpResponse:
    """The block in place: reasons, until when (borrower's and collector's time), and for a supervisor
    the override form unless a hold that can never be overridden is among the reasons."""
    assert gate.decision is not None  # a block is always a recorded decision
    chinese = (request.LANGUAGE_CODE or "en").startswith("zh")
    reasons = [(r.get("message_zh") if chinese else r.get("message_en")) or r["code"] for r in gate.reasons]
    codes = {r.get("code") for r in gate.reasons}
    overridable = can(request.user, Perm.OVERRIDE_BLOCK) and not (codes & non_overridable_codes())
    context = {
        "block_reasons": reasons,
        "block_next": gate.next_allowed_at,
        "block_decision": gate.decision,
        "override_form": wf.OverrideForm(initial={"decision": gate.decision.pk}) if overridable else None,
    }
    return _respond(
        request,
        case,
        "workspace/_result_blocked.html",
        context,
        flash=_("Blocked by compliance: ") + "; ".join(reasons),
    )


def _post_case(request: AuthenticatedHttpRequest, pk: int) -> tuple[Case, Borrower]:
    case = _get_case_for_user(request, pk)
    if case.status != CaseStatus.OPEN:
        raise Http404  # nothing is worked on a closed case
    return case, _load_borrower(case)


def _points_for_post(
    request: AuthenticatedHttpRequest, case: Case, borrower: Borrower, channel: str
) -> list[tuple[str, str]]:
    """The choices a posted form is validated against: every contact point of the channel. Whether it
    may be used now is the gate's answer, not the form's (a stale page must not decide)."""
    return [
        (p, label) for c, p, _v, label in contact_points(borrower, full_pii=request.user.sees_full_pii) if c == channel
    ]


def _authorize(request: AuthenticatedHttpRequest, case: Case, borrower: Borrower, **kwargs: Any) -> GateResult:
    action = OutreachAction(borrower=borrower, case=case, loan=case.loan, **kwargs)
    return outreach_authorize(action=action, actor=Actor.of_user(request.user))


def _reserved(gate: GateResult) -> ContactAttempt:
    """The contact an allowed live action reserved (the gate writes one with every allowed decision)."""
    assert gate.contact is not None
    return gate.contact


def _call_scripts(request: AuthenticatedHttpRequest, case: Case, contact: ContactAttempt) -> list[ShownScript]:
    """The call script shown with a call's outcome form (a visit has none): the same selection when the
    call starts and when its outcome is posted, so the ticks are checked against what was shown."""
    if contact.channel != Channel.CALL:
        return []
    return scripts_for_call(case=case, borrower=contact.borrower, user=request.user)


def _outcome_form(contact: ContactAttempt, scripts: list[ShownScript], data: Any = None) -> wf.CallOutcomeForm:
    form = wf.CallOutcomeForm(data, disclosures=disclosure_choices(scripts), auto_id=f"id_outcome{contact.pk}_%s")
    if contact.channel == Channel.VISIT:
        cast(ChoiceField, form.fields["outcome"]).choices = wf.VISIT_OUTCOMES
    return form


def _outcome_form_context(request: AuthenticatedHttpRequest, case: Case, contact: ContactAttempt) -> dict[str, Any]:
    scripts = _call_scripts(request, case, contact)
    return {"contact": contact, "outcome_form": _outcome_form(contact, scripts), "call_scripts": scripts}


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def call_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, borrower = _post_case(request, pk)
    form = wf.CallStartForm(request.POST, points=_points_for_post(request, case, borrower, Channel.CALL))
    if not form.is_valid():
        return _invalid(request, case, form)
    to = wf.resolve_point(borrower, form.cleaned_data["point"], Channel.CALL)
    gate = _authorize(request, case, borrower, channel=Channel.CALL, to=to)
    if not gate.allowed:
        return _blocked(request, case, gate)
    # The gate reserved the attempt (pending); the collector dials and then records what happened.
    return _respond(
        request,
        case,
        "workspace/_result_outcome_form.html",
        _outcome_form_context(request, case, _reserved(gate)),
        flash=_("Call started."),
    )


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def contact_outcome(request: AuthenticatedHttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    contact = get_object_or_404(ContactAttempt, pk=contact_pk, case=case)
    if contact.actor_user_id != request.user.pk and not can(request.user, Perm.SUPERVISE):
        raise PermissionDenied  # a collector records the outcome of their own attempt
    if not contact.is_pending:  # recorded already (another tab, a double click): say so, whatever was posted
        already = _("The outcome of this contact has already been recorded.")
        return _validation_error(request, case, OutcomeAlreadyRecorded({"outcome": [already]}))
    scripts = _call_scripts(request, case, contact)
    form = _outcome_form(contact, scripts, request.POST)
    if not form.is_valid():
        return _outcome_form_again(request, case, contact, form, scripts=scripts)
    data = form.cleaned_data
    promised = data["outcome"] == Outcome.PROMISE
    try:
        # One pass: the outcome and the promise it announces are recorded together, or neither.
        with transaction.atomic():
            contact_record_outcome(
                contact=contact,
                outcome=data["outcome"],
                duration_s=data["duration_s"],
                notes=data["notes"],
                disclosures=disclosures_delivered(scripts, data.get("disclosures", [])),
            )
            if promised:
                promise_create(
                    case=case,
                    amount=data["promise_amount"],
                    due_date=data["promise_due_date"],
                    created_by=request.user,
                )
            if data["callback_at"]:
                # Checked after the outcome is in the log: this call counts against the caps.
                callback_schedule(
                    case=case, user=request.user, at=data["callback_at"], to=contact.to, note=data["notes"]
                )
    except OutcomeAlreadyRecorded as exc:
        return _validation_error(request, case, exc)
    except CallbackNotAllowed as exc:
        # Nothing was recorded; the form again with the gate's next allowed time proposed in the field.
        posted = request.POST.copy()
        if exc.proposed_at is not None:
            posted["callback_at"] = timezone.localtime(exc.proposed_at).strftime("%Y-%m-%dT%H:%M")
        form = _outcome_form(contact, scripts, posted)
        form.is_valid()
        form.add_error("callback_at", exc.messages[0])
        return _outcome_form_again(request, case, contact, form, proposal=exc.proposed_at, scripts=scripts)
    except ValidationError as exc:
        for field, messages_ in exc.message_dict.items():
            # The promise service names its own fields (amount, due_date); the callback names the form's.
            target = next((f for f in (field, f"promise_{field}") if f in form.fields and f != "outcome"), None)
            for message in messages_:
                form.add_error(target, message)
        return _outcome_form_again(request, case, contact, form, scripts=scripts)
    done = _("Outcome and promise recorded.") if promised else _("Outcome recorded.")
    if data["callback_at"]:
        done = " ".join(
            (
                done,
                _("Callback set for %(at)s.")
                % {"at": date_format(timezone.localtime(data["callback_at"]), "SHORT_DATETIME_FORMAT")},
            )
        )
    return _respond(request, case, "workspace/_result_ok.html", {"ok": done}, flash=done)


def _outcome_form_again(
    request: AuthenticatedHttpRequest,
    case: Case,
    contact: ContactAttempt,
    form: wf.CallOutcomeForm,
    *,
    proposal: dt.datetime | None = None,
    scripts: list[ShownScript],
) -> HttpResponse:
    """The outcome form with its errors, in place (the contact is still pending: nothing was recorded)."""
    if getattr(request, "htmx", False):
        context = {
            "contact": contact,
            "outcome_form": form,
            "callback_proposal": proposal,
            "call_scripts": scripts,
        }
        return _respond(request, case, "workspace/_result_outcome_form.html", context)
    return _invalid(request, case, form)


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def inbound_call(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A call the borrower made to us: recorded through the gate's inbound path, as POST /contacts/ does
    (outreach_authorize records it and judges nothing), with its promise and callback in the same pass."""
    case, borrower = _post_case(request, pk)
    # The script the form showed, selected again: the ticks are checked against it and recorded with it.
    scripts = scripts_for_call(case=case, borrower=borrower, user=request.user)
    form = wf.InboundCallForm(
        request.POST,
        points=_points_for_post(request, case, borrower, Channel.CALL),
        disclosures=disclosure_choices(scripts),
        auto_id="id_inbound_%s",
    )
    if not form.is_valid():
        return _invalid(request, case, form)
    data = form.cleaned_data
    to = (wf.resolve_point(borrower, data["point"], Channel.CALL) or "") if data["point"] else ""
    promised = data["outcome"] == Outcome.PROMISE
    try:
        # Recorded with its promise and callback, or not at all.
        with transaction.atomic():
            _authorize(
                request,
                case,
                borrower,
                channel=Channel.CALL,
                to=to,
                direction=Direction.INBOUND,
                outcome=data["outcome"],
                duration_s=data["duration_s"],
                notes=data["notes"],
                disclosures=tuple(disclosures_delivered(scripts, data.get("disclosures", []))),
            )
            if promised:
                promise_create(
                    case=case, amount=data["promise_amount"], due_date=data["promise_due_date"], created_by=request.user
                )
            if data["callback_at"]:
                callback_schedule(case=case, user=request.user, at=data["callback_at"], to=to, note=data["notes"])
    except CallbackNotAllowed as exc:
        when = exc.proposed_at
        errors = [exc.messages[0]]
        if when is not None:
            errors.append(
                _("Earliest lawful time: %(at)s (your time).")
                % {"at": date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")}
            )
        return _respond(request, case, "workspace/_result_error.html", {"errors": errors}, flash=" ".join(errors))
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    done = _("Inbound call and promise recorded.") if promised else _("Inbound call recorded.")
    return _respond(request, case, "workspace/_result_ok.html", {"ok": done}, flash=done)


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def message_send(request: AuthenticatedHttpRequest, pk: int, channel: str) -> HttpResponse:
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise Http404
    case, borrower = _post_case(request, pk)
    form = wf.MessageForm(
        request.POST,
        points=_points_for_post(request, case, borrower, channel),
        channel=channel,
        language=borrower.language or "en",
    )
    if not form.is_valid():
        return _invalid(request, case, form)
    to = wf.resolve_point(borrower, form.cleaned_data["point"], channel) or ""
    try:
        sent = outreach_services.message_send(
            case=case,
            template=form.cleaned_data["template"],
            channel=channel,
            to=to,
            user=request.user,
            today=timezone.localdate(),
        )
    except TemplateError:  # one saved before templates were rendered on save (MessageTemplate.clean)
        return _respond(
            request, case, "workspace/_result_error.html", {"errors": [_("This template cannot be rendered.")]}
        )
    if sent.message is None:
        return _blocked(request, case, sent.gate)
    if sent.message.status == MessageStatus.FAILED:
        return _respond(
            request,
            case,
            "workspace/_result_error.html",
            {"errors": [_("Sending failed: %(e)s") % {"e": sent.message.error}]},
        )
    return _respond(request, case, "workspace/_result_ok.html", {"ok": _("Message sent.")}, flash=_("Message sent."))


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def letter_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, borrower = _post_case(request, pk)
    form = wf.LetterForm(request.POST, points=_points_for_post(request, case, borrower, Channel.LETTER))
    if not form.is_valid():
        return _invalid(request, case, form)
    gate = _authorize(request, case, borrower, channel=Channel.LETTER, to=borrower.address.strip())
    if not gate.allowed:
        return _blocked(request, case, gate)
    contact_record_outcome(contact=_reserved(gate), outcome=Outcome.DELIVERED, notes=form.cleaned_data["notes"])
    return _respond(
        request, case, "workspace/_result_ok.html", {"ok": _("Letter recorded.")}, flash=_("Letter recorded.")
    )


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def visit_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, borrower = _post_case(request, pk)
    form = wf.VisitForm(
        request.POST, points=_points_for_post(request, case, borrower, Channel.VISIT), user=request.user
    )
    if not form.is_valid():
        return _invalid(request, case, form)
    second = form.cleaned_data["second_collector"]
    names = f"{request.user.get_full_name() or request.user.username} + {second.get_full_name() or second.username}"
    gate = _authorize(request, case, borrower, channel=Channel.VISIT, to=borrower.address.strip(), collectors=2)
    if not gate.allowed:
        return _blocked(request, case, gate)
    notes = " · ".join(x for x in (names, form.cleaned_data["notes"]) if x)
    contact_record_outcome(contact=_reserved(gate), outcome=form.cleaned_data["outcome"], notes=notes)
    return _respond(
        request, case, "workspace/_result_ok.html", {"ok": _("Visit recorded.")}, flash=_("Visit recorded.")
    )


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def promise_take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, _borrower = _post_case(request, pk)
    form = wf.PromiseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    try:
        promise_create(case=case, created_by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    return _respond(
        request, case, "workspace/_result_ok.html", {"ok": _("Promise recorded.")}, flash=_("Promise recorded.")
    )


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def note_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, _borrower = _post_case(request, pk)
    form = wf.NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    try:
        case_note_add(case=case, user=request.user, text=form.cleaned_data["text"])
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    return _respond(request, case, "workspace/_result_ok.html", {"ok": _("Note added.")}, flash=_("Note added."))


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def hold_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, borrower = _post_case(request, pk)
    form = wf.HoldForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    try:
        hold_create(
            borrower=borrower,
            kind=form.cleaned_data["kind"],
            loan=case.loan if form.cleaned_data["this_loan_only"] else None,
            note=form.cleaned_data["note"],
            created_by=request.user,
        )
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    return _respond(request, case, "workspace/_result_ok.html", {"ok": _("Hold added.")}, flash=_("Hold added."))


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def opt_out_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case, borrower = _post_case(request, pk)
    points = [(p, label) for _c, p, _v, label in contact_points(borrower, full_pii=request.user.sees_full_pii)]
    form = wf.OptOutForm(request.POST, points=points)
    if not form.is_valid():
        return _invalid(request, case, form)
    channel, point = form.cleaned_data["channel"], form.cleaned_data["point"]
    to = ""
    if point:
        to = wf.resolve_point(borrower, point, channel) or ""
        if not to:
            return _respond(
                request,
                case,
                "workspace/_result_error.html",
                {"errors": [_("That contact point does not belong to this channel.")]},
            )
    try:
        opt_out_create(borrower=borrower, channel=channel, to=to, created_by=request.user)
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    return _respond(
        request, case, "workspace/_result_ok.html", {"ok": _("Opt-out recorded.")}, flash=_("Opt-out recorded.")
    )


@permission_required(Perm.WORK_CASE)
@require_POST
@in_user_zone
def contact_times_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The borrower told the collector which times do not suit them (or that none is left)."""
    case, borrower = _post_case(request, pk)
    form = InconvenientTimeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    try:
        inconvenient_times_set(
            borrower=borrower,
            windows=form.windows(list(borrower.inconvenient_times or [])),
            case=case,
            source="collector",
            user=request.user,
        )
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    done = _("Inconvenient times recorded.")
    return _respond(request, case, "workspace/_result_ok.html", {"ok": done}, flash=done)


@permission_required(Perm.AUDIT)
@require_POST
@in_user_zone
def validation_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A supervisor or compliance officer records that verification of a debt disputed within its
    validation period was provided (Regulation F): collection on the loan may resume."""
    case = _get_case_for_user(request, pk)
    notice = ValidationNotice.objects.filter(case=case).first()
    if notice is None:  # the case is visible; asking to verify what was never noticed is a bad request
        return _validation_error(request, case, ValidationError(_("This case has no validation notice.")))
    try:
        verification_record(notice=notice, user=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    done = _("Verification recorded: collection may resume.")
    return _respond(request, case, "workspace/_result_ok.html", {"ok": done}, flash=done)


@permission_required(Perm.OVERRIDE_BLOCK)
@require_POST
@in_user_zone
def block_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A supervisor lets one blocked action through with a written reason, then finishes the action:
    the outcome form for a call or visit, the letter recorded, the message sent as it was judged."""
    case, borrower = _post_case(request, pk)
    form = wf.OverrideForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    decision = get_object_or_404(Decision, pk=form.cleaned_data["decision"], case=case)
    try:
        gate = decision_override(
            decision=decision, actor=Actor.of_user(request.user), reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        return _validation_error(request, case, exc)
    channel = decision.channel
    if channel in (Channel.CALL, Channel.VISIT):
        return _respond(
            request, case, "workspace/_result_outcome_form.html", _outcome_form_context(request, case, _reserved(gate))
        )
    if channel == Channel.LETTER:
        contact_record_outcome(contact=_reserved(gate), outcome=Outcome.DELIVERED, notes=_("overridden"))
    else:
        # The text the block was judged on is the text that goes out (the gate stored it on the action).
        text = decision.facts.get("action", {}).get("message", "")
        subject, _sep, body = text.partition("\n") if channel == Channel.EMAIL else ("", "", text)
        outreach_services.message_deliver(gate=gate, subject=subject, body=body or text, language=borrower.language)
    return _respond(request, case, "workspace/_result_ok.html", {"ok": _("Override recorded; action done.")})


# --- search -----------------------------------------------------------------------------------------------


@permission_required(Perm.VIEW_CASES)
@require_GET
@in_user_zone
def case_search_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Find a case for an inbound caller: name, phone in any format, national-id tail, borrower or loan id."""
    text = request.GET.get("q", "").strip()[:200]
    full_pii = request.user.sees_full_pii
    results = [(case, result_phones(case, text, full_pii=full_pii)) for case in case_search(request.user, text)]
    return render(
        request,
        "workspace/search.html",
        {"q": text, "results": results, "searched": bool(text), "limit": SEARCH_LIMIT},
    )


# --- a templated message, previewed -----------------------------------------------------------------------


@permission_required(Perm.WORK_CASE)
@require_GET
@in_user_zone
def message_preview(request: AuthenticatedHttpRequest, pk: int, channel: str) -> HttpResponse:
    """The SMS or e-mail a template would send on this case, rendered, screened for prohibited wording,
    and judged by the gate's preview on that very text (what "Send" would meet; nothing is written)."""
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise Http404
    case, borrower = _post_case(request, pk)
    form = wf.MessageForm(
        request.GET,
        points=_points_for_post(request, case, borrower, channel),
        channel=channel,
        language=borrower.language or "en",
    )
    context: dict[str, Any] = {"case": case, "channel": channel, "channel_label": Channel(channel).label}
    status = 200
    if not form.is_valid():
        context["errors"] = [str(e) for errors in form.errors.values() for e in errors]
        status = 400
    else:
        now = timezone.now()
        template = form.cleaned_data["template"]
        try:
            values = reminder_context(
                case=case, due_date=timezone.localdate(), channel=channel, language=template.language
            )
            if "portal_link" in values:  # a preview makes no portal link: the real send makes its own
                values["portal_link"] = _("[link to the borrower portal]")
            rendered = render_template(template, values)
        except TemplateError:
            context["errors"] = [_("This template cannot be rendered.")]
        else:
            text = f"{rendered.subject}\n{rendered.body}".strip()
            to = wf.resolve_point(borrower, form.cleaned_data["point"], channel) or ""
            history = load_histories([borrower], at=now)[borrower.pk]
            context |= {
                "rendered": rendered,
                "findings": screen_text(text, language=template.language),
                "verdict": preview(
                    history, channel=channel, to=to, at=now, loan_id=case.loan_id, case_id=case.pk, message=text
                ),
            }
    page = "workspace/_message_preview.html" if getattr(request, "htmx", False) else "workspace/message_preview.html"
    return render(request, page, context, status=status)
