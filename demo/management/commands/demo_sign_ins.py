"""`manage.py demo_sign_ins`: the demo users and the open cases each sees, framed; with --wait-for URL,
printed as soon as that URL answers (scripts/run_all.sh: the last thing `make run` prints)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.sign_ins import sign_ins_table


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


class Command(BaseCommand):
    help = "Print the demo sign-ins and the open cases each user sees (once URL answers, with --wait-for)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait-for", default="", help="the web's URL: wait until it answers, and name it")
        parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for it")
        parser.add_argument("--logs", default="", help="the folder the worker and beat log to, to say so")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["wait_for"]
        if url:
            deadline = time.monotonic() + options["timeout"]
            while not _answers(url):
                if time.monotonic() > deadline:
                    raise CommandError(f"{url} did not answer within {options['timeout']:.0f} s")
                time.sleep(0.2)
        self.stdout.write(sign_ins_table(url=url, logs=options["logs"]), ending="")
