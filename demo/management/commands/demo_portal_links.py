"""`manage.py demo_portal_links`: where a demo borrower's portal link is (docs/demo.md).

Lists the last reminders that carried a link to the borrower portal: the case, its platform, the borrower's
language, the second factor the platform asks for (whether the borrower has one on file), and the link
itself as the SMS gave it. It prints no personal data: the second factor's value is on the case page, where
a collector reads it (the date of birth, the national id's last four characters).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from accounts.models import SecondFactor
from cases.models import Case
from outreach.models import OutboundMessage
from portal.models import LinkSource, PortalLink
from portal.services import portal_link_create, portal_link_find, second_factor_available

# A link in a message body: the address (when PORTAL_BASE_URL is set), /p/ and the token; nothing around it.
_LINK = re.compile(r"(?:https?://[A-Za-z0-9.:\[\]-]+)?/p/[A-Za-z0-9_-]{22,43}/")


def reminder_links(*, limit: int) -> list[tuple[PortalLink, str]]:
    """The newest reminder links still usable, each with the URL its message carried."""
    found: list[tuple[PortalLink, str]] = []
    seen: set[int] = set()
    messages = OutboundMessage.objects.filter(body__contains="/p/", job__isnull=False).order_by("-created_at", "-id")
    for body in messages.values_list("body", flat=True).iterator():
        match = _LINK.search(body)
        link = portal_link_find(match.group().rstrip("/").rsplit("/", 1)[-1]) if match else None
        if match is None or link is None or link.pk in seen:
            continue
        seen.add(link.pk)
        found.append((link, match.group()))
        if len(found) >= limit:
            break
    return found


class Command(BaseCommand):
    help = "List the portal links of the last reminders sent, with the case and the second factor to give."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server, for the links and case pages")
        parser.add_argument(
            "--case",
            type=int,
            default=0,
            help="make a new link for this case, as POST /cases/{id}/portal-links/ does (when no reminder has gone "
            "out yet, e.g. in the borrowers' quiet hours)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["url"].rstrip("/")
        if options["case"]:
            case = Case.objects.filter(pk=options["case"]).first()
            if case is None:
                raise CommandError(f"No case {options['case']}.")
            link, url = portal_link_create(case=case, source=LinkSource.API)
            self._print([(link, url if url.startswith("http") else base + url)], base)
            return
        links = reminder_links(limit=options["limit"])
        if not links:
            self.stdout.write(
                "No reminder has carried a portal link yet: the worker sends the due reminders within a minute "
                "of `make run` starting, outside each borrower's quiet hours. Try again shortly."
            )
            return
        self._print(links, base)

    def _print(self, links: list[tuple[PortalLink, str]], base: str) -> None:
        factors = dict(SecondFactor.choices)
        for link, url in links:
            case = link.case
            factor = str(factors[case.platform.portal_second_factor])
            if not second_factor_available(link):
                factor += " (none on file: this borrower cannot be confirmed)"
            full_url = url if url.startswith("http") else base + url
            self.stdout.write(
                f"case {case.pk} · {case.platform.name} · {case.borrower.language} · second factor: {factor}\n"
                f"  borrower's link: {full_url}\n"
                f"  case page:       {base}{reverse('case-detail', kwargs={'pk': case.pk})}"
            )
        if any(not url.startswith("http") for _link, url in links):
            self.stdout.write("Some links were sent as paths only: the server ran without PORTAL_BASE_URL.")
