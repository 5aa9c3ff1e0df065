"""Honour a borrower's erasure request: pseudonymise their personal data unless a hold forbids it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Platform, User
from borrowers.models import Borrower
from compliance import lifecycle
from compliance.models import ErasureReason


class Command(BaseCommand):
    help = (
        "Erase (pseudonymise) one borrower's personal data on their request: --basis gdpr (UK borrowers), "
        "pipl (CN) or request. Refused, and recorded as refused, while a dispute, litigation or regulatory "
        "hold is open. The evidence chain still verifies afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True, help="the platform's name")
        parser.add_argument("--borrower", required=True, help="the borrower's external id")
        parser.add_argument("--basis", choices=sorted(lifecycle.LEGAL_BASIS), default="request")
        parser.add_argument("--requested-by", default="", help="username of the staff member recording it")

    def handle(self, *args, **options):
        platform = Platform.objects.filter(name=options["platform"]).first()
        if platform is None:
            raise CommandError(f"No platform named {options['platform']!r}.")
        borrower = Borrower.objects.filter(platform=platform, external_id=options["borrower"]).first()
        if borrower is None:
            raise CommandError(f"No borrower {options['borrower']!r} on {platform.name}.")
        user = None
        if options["requested_by"]:
            user = User.objects.filter(username=options["requested_by"]).first()
            if user is None:
                raise CommandError(f"No user {options['requested_by']!r}.")
        erasure = lifecycle.borrower_erase(
            borrower=borrower,
            reason=ErasureReason.REQUEST,
            legal_basis=lifecycle.LEGAL_BASIS[options["basis"]],
            requested_by=user,
        )
        if erasure.status == "refused":
            raise CommandError(f"Refused (erasure {erasure.pk}): {', '.join(erasure.refused_because)}")
        self.stdout.write(
            f"Erasure {erasure.pk}: borrower {borrower.pk} pseudonymised; {len(erasure.records)} record(s) changed, "
            "the evidence chain accounts for each."
        )
