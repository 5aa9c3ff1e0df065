"""Screen the labelled corpus and print precision and recall (overall and per language) and every error."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance import corpus, screening


class Command(BaseCommand):
    help = "Screen compliance/data/screening_corpus.tsv and print precision, recall and the misjudged messages."

    def add_arguments(self, parser):
        parser.add_argument("--min", type=float, default=None, help="exit 1 if precision or recall is below this")

    def handle(self, *args, **options):
        result = corpus.score()
        for name, part in (("all", result), ("en", result.subset("en")), ("zh", result.subset("zh"))):
            self.stdout.write(
                f"{name:>3}: {len(part.outcomes)} messages, precision {part.precision:.3f}, recall {part.recall:.3f}"
            )
        for outcome in result.errors:
            sample = outcome.sample
            what = "missed" if sample.prohibited else "false positive"
            found = screening.describe(outcome.findings)
            self.stdout.write(f"line {sample.line}: {what} [{sample.language}] {sample.text}  {found}".rstrip())
        floor = options["min"]
        if floor is not None and min(result.precision, result.recall) < floor:
            raise CommandError(f"precision or recall below {floor}")
