"""The rules' names for people (charts, audit records), in the interface language. The codes stay
what decisions store; an unknown code is shown as itself."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

RULE_NAMES: dict[str, Promise] = {
    "hold_cease": _("Hold: stop contacting"),
    "hold_attorney": _("Hold: represented by an attorney"),
    "hold_dispute": _("Hold: debt disputed"),
    "hold_bankruptcy": _("Hold: bankruptcy"),
    "hold_deceased": _("Hold: deceased"),
    "hold_breathing_space": _("Hold: breathing space"),
    "hold_paused": _("Hold: delinquency paused"),
    "opted_out": _("Opted out of the channel"),
    "work_contact_prohibited": _("No contact at the workplace"),
    "prohibited_content": _("Prohibited wording"),
    "vulnerable_limit": _("Vulnerable borrower limits"),
    "unknown_timezone": _("Unknown time zone"),
    "quiet_hours": _("Permitted contact hours"),
    "daily_answered_cap": _("Daily answered-call limit"),
    "daily_unanswered_cap": _("Daily unanswered-call limit"),
    "third_party_borrower_reachable": _("Third party while the borrower is reachable"),
    "third_party_refused": _("Third party refused contact"),
    "third_party_debt_disclosure": _("Debt disclosed to a third party"),
    "visit_requires_two_collectors": _("Field visit needs two collectors"),
    "call_frequency_7in7": _("7 calls in 7 days"),
    "conversation_cooldown": _("7-day pause after a conversation"),
    "no_autodial_consent": _("No consent to automated calls or texts"),
    "missing_opt_out": _("Opt-out instructions missing"),
    "work_email": _("Work e-mail address"),
    "time_barred_threat": _("Legal threat on a time-barred debt"),
    "voicemail_content": _("Limited-content voicemail"),
    "third_party_repeat": _("Third party contacted again"),
    "state_frequency_cap": _("State contact limit"),
    "call_frequency_cap": _("Call limit"),
    "pressure_content": _("Undue pressure"),
    "borrower_preference": _("Time the borrower named as inconvenient"),
    "validation_dispute": _("Disputed within the validation period"),
}


def rule_name(code: str) -> str:
    """The rule's name in the active language; the code itself when the rule is unknown."""
    name = RULE_NAMES.get(code)
    return str(name) if name is not None else code


PACK_NAMES: dict[str, Promise] = {
    "COMMON": _("Common rules"),
    "CN": _("China"),
    "US": _("United States (federal)"),
    "US-MA": _("Massachusetts"),
    "US-WA": _("Washington State"),
    "UK": _("United Kingdom"),
}


def pack_name(code: str) -> str:
    """A rule pack's name in the active language; the code itself when the pack is unknown."""
    name = PACK_NAMES.get(code)
    return str(name) if name is not None else code


def pack_versions_text(versions: dict[str, int] | None) -> str:
    """The packs a decision was judged by, with their versions, as text for people: the jurisdiction
    and overlays first, the common rules last ("United States (federal), version 2; Common rules, version 1")."""
    if not versions:
        return ""
    codes = sorted(versions, key=lambda code: (code == "COMMON", code))
    return str(_("; ")).join(
        str(_("%(pack)s, version %(version)s")) % {"pack": pack_name(code), "version": versions[code]} for code in codes
    )
