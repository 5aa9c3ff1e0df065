"""The labelled screening corpus (compliance/data/screening_corpus.tsv) and how well screening does on it."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .screening import Finding, screen_text

CORPUS_PATH = Path(__file__).resolve().parent / "data" / "screening_corpus.tsv"


@dataclass(frozen=True)
class Sample:
    line: int
    prohibited: bool
    language: str
    category: str
    text: str


@dataclass
class Outcome:
    sample: Sample
    findings: list[Finding]

    @property
    def flagged(self) -> bool:
        return bool(self.findings)


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def _count(self, *, prohibited: bool, flagged: bool) -> int:
        return sum(1 for o in self.outcomes if o.sample.prohibited is prohibited and o.flagged is flagged)

    @property
    def precision(self) -> float:
        true_pos, false_pos = self._count(prohibited=True, flagged=True), self._count(prohibited=False, flagged=True)
        return true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0

    @property
    def recall(self) -> float:
        true_pos, false_neg = self._count(prohibited=True, flagged=True), self._count(prohibited=True, flagged=False)
        return true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.sample.prohibited is not o.flagged]

    def subset(self, language: str) -> Score:
        return Score([o for o in self.outcomes if o.sample.language == language])


def load(path: Path = CORPUS_PATH) -> list[Sample]:
    samples = []
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")]
    reader = csv.DictReader((line for _n, line in lines), delimiter="\t", quoting=csv.QUOTE_NONE)
    for (number, _line), row in zip(lines[1:], reader, strict=True):
        samples.append(
            Sample(
                line=number,
                prohibited=row["label"] == "prohibited",
                language=row["lang"],
                category=row["category"] or "",
                text=row["text"],
            )
        )
    return samples


def score(samples: list[Sample] | None = None) -> Score:
    return Score([Outcome(sample, screen_text(sample.text)) for sample in (samples if samples is not None else load())])
