"""The borrower portal's pages (public: the link and the second factor stand in for a sign-in).

Every page answers in the borrower's language; every action goes through the services a collector's does
(portal.services), recorded with the actor "borrower (portal)", the link and the address."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import SecondFactor
from borrowers.masking import mask_name
from borrowers.models import Channel
from borrowers.zones import borrower_today
from compliance.preferences import InconvenientTimeForm, window_label
from repayment_plans.agreement import agreement_render_html
from repayment_plans.models import OPEN_PLAN_STATUSES, Plan
from repayment_plans.selectors import active_plan
from repayment_plans.services import loan_balance

from . import services
from .forms import (
    AmountForm,
    DateOfBirthForm,
    DisputeForm,
    HardshipForm,
    MoreHelpForm,
    NationalIdForm,
    OptOutForm,
    PromiseForm,
)
from .models import PortalLink
from .offers import Offer, plan_offers
from .selectors import borrower_debts

SESSION_KEY = "portal_links"

PortalView = Callable[..., HttpResponse]


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _verified(request: HttpRequest, link: PortalLink) -> bool:
    return link.pk in request.session.get(SESSION_KEY, [])


def portal_page(*, verified: bool = True) -> Callable[[PortalView], PortalView]:
    """Resolve the link from the token (410 when it names no usable link), require the second factor
    in this session (else back to the entry page), and answer in the borrower's language."""

    def decorate(view: PortalView) -> PortalView:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
            link = services.portal_link_find(token)
            if link is None:
                return render(request, "portal/link_invalid.html", status=410)
            language = link.case.borrower.language
            with translation.override(language):
                if verified and not _verified(request, link):
                    return redirect("portal-entry", token=token)
                response = view(request, link, token, **kwargs)
            response.headers["Content-Language"] = language
            return response

        return wrapper

    return decorate


def _page(request: HttpRequest, link: PortalLink, token: str, template: str, **context: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"link": link, "token": token, "borrower": link.case.borrower, "platform": link.case.platform, **context},
    )


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@portal_page(verified=False)
def entry(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form_class = (
        NationalIdForm if link.case.platform.portal_second_factor == SecondFactor.NATIONAL_ID_LAST4 else DateOfBirthForm
    )
    form = form_class(request.POST or None)
    available = services.second_factor_available(link)
    locked = False
    if request.method == "POST" and available and form.is_valid():
        result = services.portal_verify(link=link, answer=form.cleaned_data["answer"], ip=client_ip(request))
        if result == services.Verification.CONFIRMED:
            request.session.cycle_key()
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), link.pk]
            return redirect("portal-home", token=token)
        if result == services.Verification.LOCKED:
            locked = True
        else:
            form.add_error("answer", _("That does not match our records."))
    elif request.method == "GET":
        locked = services.failures_locked(link=link, ip=client_ip(request), now=timezone.now())
    # Before the second factor the page knows the borrower only by a masked name: a forwarded or leaked link
    # must not tell its holder whose debt it is.
    return _page(
        request,
        link,
        token,
        "portal/entry.html",
        form=form,
        available=available,
        locked=locked,
        borrower=None,
        masked_name=mask_name(link.case.borrower.full_name),
    )


@require_http_methods(["GET"])
@portal_page()
def home(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    borrower = link.case.borrower
    today = borrower_today(borrower, timezone.now())
    return _page(request, link, token, "portal/home.html", debts=borrower_debts(borrower), today=today)


@require_http_methods(["GET", "POST"])
@portal_page()
def pay(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    balance = loan_balance(link.case.loan_id)
    suggested = link.case.overdue_amount if 0 < link.case.overdue_amount <= balance else balance
    form = AmountForm(request.POST or None, initial={"amount": suggested})
    if request.method == "POST" and form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            url = services.portal_pay(link=link, amount=amount, ip=client_ip(request))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _page(request, link, token, "portal/pay_continue.html", url=url, amount=amount)
    return _page(
        request,
        link,
        token,
        "portal/pay.html",
        form=form,
        balance=balance,
        suggested=suggested,
        payable=bool(link.case.platform.payment_url_template),
    )


@require_http_methods(["GET", "POST"])
@portal_page()
def promise(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = PromiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_promise(link=link, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you. We have noted your promise to pay."))
            return redirect("portal-home", token=token)
    return _page(
        request,
        link,
        token,
        "portal/promise.html",
        form=form,
        latest=services.promise_latest_date(link),
        balance=loan_balance(link.case.loan_id),
    )


@require_http_methods(["GET", "POST"])
@portal_page()
def preferences(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_opt_out(link=link, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Done. We will no longer contact you that way."))
            return redirect("portal-home", token=token)
    return _preferences_page(request, link, token, form=form)


def _preferences_page(
    request: HttpRequest,
    link: PortalLink,
    token: str,
    *,
    form: forms.Form | None = None,
    times_form: forms.Form | None = None,
) -> HttpResponse:
    borrower = link.case.borrower
    return _page(
        request,
        link,
        token,
        "portal/preferences.html",
        form=form or OptOutForm(),
        times_form=times_form or InconvenientTimeForm(auto_id="id_times_%s"),
        times=[window_label(w) for w in borrower.inconvenient_times or []],
        opt_outs=borrower.opt_outs.all(),
        phones=borrower.phones.filter(invalid=False),
        emails=borrower.emails.filter(invalid=False),
        channels=Channel,
    )


@require_http_methods(["GET", "POST"])
@portal_page()
def contact_times(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    """The times not to contact the borrower: add one, or remove them all (on the preferences page)."""
    form = InconvenientTimeForm(request.POST or None, auto_id="id_times_%s")
    borrower = link.case.borrower
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_contact_times(
                link=link, windows=form.windows(list(borrower.inconvenient_times or [])), ip=client_ip(request)
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Done. We will not contact you at the times you named."))
            return redirect("portal-preferences", token=token)
    return _preferences_page(request, link, token, times_form=form)


@require_http_methods(["GET", "POST"])
@portal_page()
def dispute(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.portal_dispute(link=link, note=form.cleaned_data["note"], ip=client_ip(request))
        messages.success(request, _("We have recorded your dispute and paused reminders. A person will review it."))
        return redirect("portal-home", token=token)
    return _page(request, link, token, "portal/dispute.html", form=form)


@require_http_methods(["GET", "POST"])
@portal_page()
def hardship(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = HardshipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_hardship(link=link, ip=client_ip(request), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you for telling us. A person will contact you to find a way forward."))
            return redirect("portal-home", token=token)
    return _page(request, link, token, "portal/hardship.html", form=form)


def _offers(link: PortalLink) -> list[Offer]:
    return plan_offers(case=link.case, today=borrower_today(link.case.borrower, timezone.now()))


@require_http_methods(["GET"])
@portal_page()
def plans(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    plan = active_plan(link.case)
    open_plan = Plan.objects.filter(case=link.case, status__in=OPEN_PLAN_STATUSES).order_by("-id").first()
    return _page(
        request,
        link,
        token,
        "portal/plans.html",
        offers=[] if open_plan else _offers(link),
        plan=plan,
        open_plan=open_plan,
        more_form=MoreHelpForm(),
    )


@require_http_methods(["GET", "POST"])
@portal_page()
def plan_accept(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    """GET ?offer=<code>: the offer's agreement to read; POST: accept it."""
    code = request.POST.get("offer") or request.GET.get("offer") or ""
    offer = next((o for o in _offers(link) if o.code == code), None)
    if offer is None:
        messages.error(request, _("This offer is no longer available. Please choose again."))
        return redirect("portal-plans", token=token)
    error = ""
    if request.method == "POST":
        if request.POST.get("accept") != "yes":
            error = _("Tick the box to accept the agreement.")
        else:
            try:
                services.portal_plan_accept(link=link, offer_code=code, ip=client_ip(request))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Your repayment plan is active. Thank you."))
                return redirect("portal-plans", token=token)
    plan, installments = offer.unsaved_plan(link.case)
    document = agreement_render_html(plan, installments=installments)
    return _page(request, link, token, "portal/plan_accept.html", offer=offer, document=document, error=error)


@require_http_methods(["POST"])
@portal_page()
def more_help(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = MoreHelpForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.portal_more_help(link=link, note=note, ip=client_ip(request))
    messages.success(request, _("Thank you. A person will contact you to agree an arrangement."))
    return redirect("portal-home", token=token)
