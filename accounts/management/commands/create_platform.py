"""Create a loan platform (an API client) and print its key, once, alone on the last line."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from accounts.models import Jurisdiction, Platform


class Command(BaseCommand):
    help = "Create a platform and print its API key alone on the last line (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--jurisdiction", choices=Jurisdiction.values, default=Jurisdiction.CN)
        parser.add_argument("--webhook-url", default="")

    def handle(self, *args, name: str, jurisdiction: str, webhook_url: str, **options):
        name = name.strip()
        limit = Platform._meta.get_field("name").max_length
        assert limit is not None  # a CharField's
        if not name or len(name) > limit:
            raise CommandError("Give a platform name of 1 to 200 characters.")
        if webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
            except ValidationError:
                raise CommandError(f"Not a valid http(s) URL: {webhook_url}")
        if Platform.objects.filter(name=name).exists():
            raise CommandError(f"A platform named {name!r} already exists.")
        platform = Platform(name=name, default_jurisdiction=jurisdiction, webhook_url=webhook_url)
        key = platform.rotate_api_key()
        try:
            with transaction.atomic():
                platform.save()
        except IntegrityError:
            raise CommandError(f"A platform named {name!r} already exists.")
        self.stdout.write(
            f"Created platform {platform.name!r} (id {platform.pk}, jurisdiction {jurisdiction}). "
            "The API key is shown once; store it now:"
        )
        self.stdout.write(key)
