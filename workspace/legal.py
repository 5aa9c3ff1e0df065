"""The case page's supervisor actions around the collection itself: pause the delinquency clock, write the
loan off, and take the case down the legal path (lawyer letter → mediation → litigation).

Thin: each view checks the form and calls the one service (cases.pauses, cases.legal,
outreach.lawyer_letters), then returns to the case page with the outcome as a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import Perm, can, permission_required
from cases.legal import legal_outcome_record, legal_step_open, loan_write_off
from cases.models import Case, LawyerLetter, LegalProceeding, LegalStage, LoanPause
from cases.pauses import loan_pause_create, loan_pause_end
from cases.views import _get_case_for_user
from outreach.lawyer_letters import lawyer_letter_send

DATE = forms.DateInput(attrs={"type": "date"})


class PauseForm(forms.Form):
    starts_on = forms.DateField(label=gettext_lazy("First paused day"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Last paused day"), required=False, widget=DATE)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class PauseEndForm(forms.Form):
    ends_on = forms.DateField(label=gettext_lazy("Last paused day"), widget=DATE)


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class LegalStepForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Step"), choices=LegalProceeding.Kind.choices)
    forum = forms.CharField(label=gettext_lazy("Law firm, mediator or court"), max_length=200)
    reference = forms.CharField(label=gettext_lazy("Case number"), max_length=100, required=False)
    started_on = forms.DateField(label=gettext_lazy("Started on"), widget=DATE)
    next_date = forms.DateField(label=gettext_lazy("Next hearing or deadline"), required=False, widget=DATE)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    send_letter = forms.BooleanField(label=gettext_lazy("Send the lawyer letter (referral)"), required=False)


class LegalOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=LegalProceeding.Outcome.choices, required=False)
    ended_on = forms.DateField(label=gettext_lazy("Ended on"), required=False, widget=DATE)
    next_date = forms.DateField(label=gettext_lazy("Next hearing or deadline"), required=False, widget=DATE)
    reference = forms.CharField(label=gettext_lazy("Case number"), max_length=100, required=False)
    amount_awarded = forms.DecimalField(
        label=gettext_lazy("Amount awarded"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def legal_panel_context(request: AuthenticatedHttpRequest, case: Case) -> dict[str, Any]:
    """What the case page's "Pause, write-off, legal path" panel shows (three queries, whatever the history)."""
    proceedings = list(
        LegalProceeding.objects.filter(case=case).prefetch_related("letters").order_by("-started_on", "-id")
    )
    today = timezone.localdate()
    pauses = list(LoanPause.objects.filter(loan_id=case.loan_id).order_by("-starts_on", "-id"))
    return {
        "pauses": pauses,
        "active_pause": next((p for p in pauses if p.covers(today)), None),
        "proceedings": proceedings,
        "open_proceeding": next((p for p in proceedings if p.ended_on is None), None),
        "legal_supervisor": can(request.user, Perm.SUPERVISE),
        "pause_form": PauseForm(auto_id="id_pause_%s", initial={"starts_on": today}),
        "write_off_form": WriteOffForm(auto_id="id_writeoff_%s"),
        "legal_step_form": LegalStepForm(
            auto_id="id_legal_%s", initial={"started_on": today, "kind": _next_step(case.legal_stage)}
        ),
        "legal_outcome_form": LegalOutcomeForm(auto_id="id_outcome_%s"),
    }


def _next_step(stage: str) -> str:
    order = [LegalStage.REFERRED, LegalStage.MEDIATION, LegalStage.LITIGATION]
    later = [s for s in order if order.index(s) > (order.index(LegalStage(stage)) if stage else -1)]
    return later[0].value if later else LegalStage.LITIGATION.value


def _back(request: AuthenticatedHttpRequest, case: Case, *, ok: str = "", error: Any = None) -> HttpResponse:
    if error is not None:
        text = error if isinstance(error, str) else " ".join(_messages_of(error))
        messages.error(request, text)
    elif ok:
        messages.success(request, ok)
    return redirect(f"/cases/{case.pk}/#legal-panel")


def _messages_of(error: ValidationError | forms.Form) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [f"{error.fields[f].label if f in error.fields else f}: {m}" for f, ms in error.errors.items() for m in ms]


@permission_required(Perm.SUPERVISE)
@require_POST
def pause_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    form = PauseForm(request.POST)
    if not form.is_valid():
        return _back(request, case, error=form)
    try:
        loan_pause_create(loan=case.loan, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _back(request, case, error=exc)
    return _back(request, case, ok=_("Delinquency paused."))


@permission_required(Perm.SUPERVISE)
@require_POST
def pause_end(request: AuthenticatedHttpRequest, pk: int, pause_pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    pause = get_object_or_404(LoanPause, pk=pause_pk, loan_id=case.loan_id)
    form = PauseEndForm(request.POST)
    if not form.is_valid():
        return _back(request, case, error=form)
    try:
        loan_pause_end(pause=pause, ends_on=form.cleaned_data["ends_on"], user=request.user)
    except ValidationError as exc:
        return _back(request, case, error=exc)
    return _back(request, case, ok=_("Pause ended."))


@permission_required(Perm.SUPERVISE)
@require_POST
def write_off(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        return _back(request, case, error=form)
    try:
        loan_write_off(case=case, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _back(request, case, error=exc)
    return _back(request, case, ok=_("Loan written off."))


def _letter_message(letter: LawyerLetter) -> str:
    if letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT:
        return _("Lawyer letter queued for printing.")
    key = "message_zh" if (get_language() or "").startswith("zh") else "message_en"
    reasons = "; ".join(str(r.get(key) or r.get("code", "")) for r in letter.reasons)
    return _("Lawyer letter blocked by compliance: %(reasons)s") % {"reasons": reasons}


@permission_required(Perm.SUPERVISE)
@require_POST
def legal_step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    form = LegalStepForm(request.POST)
    if not form.is_valid():
        return _back(request, case, error=form)
    data = dict(form.cleaned_data)
    send_letter = data.pop("send_letter")
    try:
        with transaction.atomic():
            proceeding = legal_step_open(case=case, user=request.user, **data)
    except ValidationError as exc:
        return _back(request, case, error=exc)
    ok = _("Legal stage: %(stage)s.") % {"stage": proceeding.get_kind_display()}
    if send_letter and proceeding.kind == LegalProceeding.Kind.REFERRAL:
        try:
            letter = lawyer_letter_send(proceeding=proceeding, user=request.user)
        except ValidationError as exc:
            messages.success(request, ok)
            return _back(request, case, error=exc)
        if letter.status == LawyerLetter.Status.BLOCKED:
            # The step stands; the letter did not go: said as an error, beside the step's success.
            messages.success(request, ok)
            return _back(request, case, error=_letter_message(letter))
        ok = f"{ok} {_letter_message(letter)}"
    return _back(request, case, ok=ok)


@permission_required(Perm.SUPERVISE)
@require_POST
def legal_outcome(request: AuthenticatedHttpRequest, pk: int, proceeding_pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    proceeding = get_object_or_404(LegalProceeding, pk=proceeding_pk, case=case)
    form = LegalOutcomeForm(request.POST)
    if not form.is_valid():
        return _back(request, case, error=form)
    data = form.cleaned_data
    try:
        legal_outcome_record(
            proceeding=proceeding,
            outcome=data["outcome"],
            ended_on=data["ended_on"],
            next_date=data["next_date"],
            reference=data["reference"] or None,
            amount_awarded=data["amount_awarded"],
            notes=data["notes"],
            user=request.user,
        )
    except ValidationError as exc:
        return _back(request, case, error=exc)
    return _back(request, case, ok=_("Legal step updated."))


@permission_required(Perm.SUPERVISE)
@require_POST
def letter_send(request: AuthenticatedHttpRequest, pk: int, proceeding_pk: int) -> HttpResponse:
    case = _get_case_for_user(request, pk)
    proceeding = get_object_or_404(LegalProceeding.objects.select_related("case"), pk=proceeding_pk, case=case)
    try:
        letter = lawyer_letter_send(proceeding=proceeding, user=request.user)
    except ValidationError as exc:
        return _back(request, case, error=exc)
    if letter.status == LawyerLetter.Status.BLOCKED:
        return _back(request, case, error=_letter_message(letter))
    return _back(request, case, ok=_letter_message(letter))


@permission_required(Perm.VIEW_CASES)
@require_GET
def letter_page(request: AuthenticatedHttpRequest, pk: int, letter_pk: int) -> HttpResponse:
    """The letter as it was sent (its stored text), for printing."""
    case = _get_case_for_user(request, pk)
    letter = get_object_or_404(LawyerLetter, pk=letter_pk, proceeding__case=case)
    return render(request, "workspace/lawyer_letter.html", {"case": case, "letter": letter})


@permission_required(Perm.VIEW_CASES)
@require_GET
def letter_pdf(request: AuthenticatedHttpRequest, pk: int, letter_pk: int) -> HttpResponse:
    """The PDF printed and posted (the stored file, the bytes hashed into the evidence chain)."""
    case = _get_case_for_user(request, pk)
    letter = get_object_or_404(LawyerLetter, pk=letter_pk, proceeding__case=case)
    if not letter.pdf:
        raise Http404  # a blocked letter was never printed
    with letter.pdf.open("rb") as fh:
        response = HttpResponse(fh.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="LL-{letter.proceeding_id:06d}-{letter.pk}.pdf"'
    return response
