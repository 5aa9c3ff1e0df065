"""Import borrowers and loans from CSV files through the same bulk services as the API.

    python manage.py import_csv --platform NAME --borrowers borrowers.csv --loans loans.csv [--chunk-size 1000]

Borrowers: one row per borrower. Columns are the fields of POST /api/v1/borrowers/: `external_id`,
`full_name`, `region` (required), `timezone`, `national_id`, `date_of_birth`, `language`, `address`,
`vulnerabilities` (separated by `;`). Contact points are numbered column groups, the number optional for
the first: `phone`, `phone_kind`, `phone_autodial_consent`, `phone_work_contact_prohibited`, then `phone2`,
`phone2_kind`, ...; `email`, `email_kind`, `email2`, ...; `third_party`, `third_party_relationship`,
`third_party_phone`, `third_party2`, .... Booleans are true/false, yes/no or 1/0.

An empty cell leaves the field out: a new borrower gets the default, an existing one (same external_id)
keeps its value. When the file has columns of a kind of contact point (any `phone…` column, say), a
row's list of that kind replaces the borrower's (an empty group is no entry); without such columns the
borrower's contact points of that kind are kept.

Loans: one row per installment, the loan's columns repeated on each of its rows (they must agree):
`external_id`, `borrower` (the borrower's external_id), `product`, `currency`, `principal`, `annual_rate`,
`disbursed_on`, `statute_limitations_date`, and the installment's `seq`, `due_date`, `principal_due`,
`interest_due`, `fee_due`. A loan's rows need not be adjacent. A known external_id is updated.

Rows go in by chunks (`--chunk-size` borrowers or loans), each all or nothing: a chunk with a bad row
is not written at all and its errors are printed with their CSV line numbers; the other chunks are
written. The command then fails (exit status 1) naming how many rows were not imported.
Borrowers are imported before loans, so one run can load both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from accounts.models import Platform
from borrowers.serializers import BorrowerInputSerializer
from borrowers.services import BorrowerRowsInvalid, BorrowersConflict, borrowers_bulk_upsert
from cases.serializers import LoanInputSerializer
from cases.services import LoanRowsInvalid, loans_bulk_upsert

BORROWER_FIELDS: tuple[str, ...] = (
    "external_id",
    "full_name",
    "region",
    "timezone",
    "national_id",
    "date_of_birth",
    "language",
)
BORROWER_FIELDS += ("address", "vulnerabilities")
BORROWER_REQUIRED = ("external_id", "full_name", "region")
LOAN_FIELDS = (
    "external_id",
    "borrower",
    "product",
    "currency",
    "principal",
    "annual_rate",
    "disbursed_on",
    "statute_limitations_date",
)
INSTALLMENT_FIELDS = ("seq", "due_date", "principal_due", "interest_due", "fee_due")
LOAN_REQUIRED = ("external_id", "borrower", "currency", "principal", "disbursed_on", "seq", "due_date", "principal_due")

# (group prefix, the list's name, {column suffix: field}, the suffix-less column's field, boolean fields)
GROUPS: tuple[tuple[str, str, dict[str, str], str, set[str]], ...] = (
    (
        "phone",
        "phones",
        {"kind": "kind", "autodial_consent": "autodial_consent", "work_contact_prohibited": "work_contact_prohibited"},
        "number",
        {"autodial_consent", "work_contact_prohibited"},
    ),
    ("email", "emails", {"kind": "kind"}, "address", set()),
    ("third_party", "third_parties", {"relationship": "relationship", "phone": "phone"}, "name", set()),
)
GROUP_COLUMN = re.compile(
    r"^(phone|email|third_party)(\d*)(?:_(kind|autodial_consent|work_contact_prohibited|relationship|phone))?$"
)
TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n"}


@dataclass
class Item:
    """One borrower or loan to import: its payload and the CSV lines it came from."""

    data: dict[str, Any]
    line: int
    lines: list[int] = field(default_factory=list)  # loans: the line of each installment, in order


def _bool(value: str) -> bool | str:
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    return value  # the serializer refuses it, naming the field


def _open(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise CommandError(f"{path}: the file is empty (a header line is required).")
        for row in reader:
            if None in row:  # more cells than header columns
                raise CommandError(f"{path}, line {reader.line_num}: more cells than columns in the header.")
            yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items()}


def _header(path: str) -> list[str]:
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def _check_header(path: str, header: list[str], known: Sequence[str], required: Sequence[str], groups: bool) -> None:
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in known and not (groups and GROUP_COLUMN.match(c))]
    if missing:
        raise CommandError(f"{path}: missing column(s): {', '.join(missing)}.")
    if unknown:
        raise CommandError(f"{path}: unknown column(s): {', '.join(unknown)}.")


def borrower_items(path: str) -> list[Item]:
    header = _header(path)
    _check_header(path, header, BORROWER_FIELDS, BORROWER_REQUIRED, groups=True)
    numbers: dict[str, list[str]] = {}  # group prefix -> its numbers in column order ("" for the first)
    for column in header:
        m = GROUP_COLUMN.match(column)
        if m and m.group(2) not in numbers.setdefault(m.group(1), []):
            numbers[m.group(1)].append(m.group(2))
    items = []
    for line, row in _open(path):
        data: dict[str, Any] = {}
        for f in BORROWER_FIELDS:
            if row.get(f):
                data[f] = row[f]
        if "vulnerabilities" in data:
            data["vulnerabilities"] = [v.strip() for v in data["vulnerabilities"].split(";") if v.strip()]
        for prefix, list_name, suffixes, main_field, booleans in GROUPS:
            if prefix not in numbers:
                continue
            entries = []
            for n in numbers[prefix]:
                entry: dict[str, Any] = {}
                if row.get(f"{prefix}{n}"):
                    entry[main_field] = row[f"{prefix}{n}"]
                for suffix, f in suffixes.items():
                    value = row.get(f"{prefix}{n}_{suffix}")
                    if value:
                        entry[f] = _bool(value) if f in booleans else value
                if entry:
                    entries.append(entry)
            data[list_name] = entries
        items.append(Item(data=data, line=line))
    return items


def loan_items(path: str) -> tuple[list[Item], dict[int, dict[str, list[str]]]]:
    """Group installment rows into loans; also returns errors found in grouping, by line."""
    header = _header(path)
    _check_header(path, header, (*LOAN_FIELDS, *INSTALLMENT_FIELDS), LOAN_REQUIRED, groups=False)
    loans: dict[str, Item] = {}
    first: dict[str, dict[str, str]] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    for line, row in _open(path):
        external_id = row.get("external_id", "")
        installment = {f: row[f] for f in INSTALLMENT_FIELDS if row.get(f)}
        item = loans.get(external_id)
        if item is None:
            data: dict[str, Any] = {f: row[f] for f in LOAN_FIELDS if row.get(f)}
            data["installments"] = [installment]
            loans[external_id] = Item(data=data, line=line, lines=[line])
            first[external_id] = row
            continue
        differing = [f for f in LOAN_FIELDS if row.get(f, "") != first[external_id].get(f, "")]
        if differing:
            errors[line] = {f: [f"Differs from line {item.line}, the same loan's first row."] for f in differing}
        item.data["installments"].append(installment)
        item.lines.append(line)
    return list(loans.values()), errors


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def item_errors(item: Item, errors: dict[str, Any]) -> dict[int, list[str]]:
    """A row's {field: [...]} errors as messages by CSV line; installment errors go to their own line."""
    out: dict[int, list[str]] = {}
    for f, value in errors.items():
        if f == "installments" and item.lines and isinstance(value, list | dict):
            per = value.items() if isinstance(value, dict) else enumerate(value)
            for k, inst_errors in per:
                if isinstance(inst_errors, dict) and str(k).isdigit() and int(k) < len(item.lines):
                    if inst_errors:
                        out.setdefault(item.lines[int(k)], []).extend(_messages(inst_errors))
                else:
                    out.setdefault(item.line, []).extend(f"installments: {m}" for m in _messages(inst_errors))
            continue
        out.setdefault(item.line, []).extend(f"{f}: {m}" for m in _messages(value))
    return out


class Command(BaseCommand):
    help = (
        "Import borrowers (one row each, with phone/email/third_party columns) and loans (one row per "
        "installment, loan columns repeated) from CSV through the bulk services, in all-or-nothing chunks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True, help="The platform's name.")
        parser.add_argument("--borrowers", metavar="FILE.csv")
        parser.add_argument("--loans", metavar="FILE.csv")
        parser.add_argument("--chunk-size", type=int, default=1000, help="Borrowers or loans per chunk (max 10,000).")

    def handle(self, *args, platform: str, borrowers: str | None, loans: str | None, chunk_size: int, **options):
        if not borrowers and not loans:
            raise CommandError("Give --borrowers FILE.csv and/or --loans FILE.csv.")
        if not 1 <= chunk_size <= 10_000:
            raise CommandError("--chunk-size must lie between 1 and 10,000.")
        target = Platform.objects.filter(name=platform).first()
        if target is None:
            raise CommandError(f"No platform named {platform!r}.")
        for path in (borrowers, loans):
            if path and not Path(path).is_file():
                raise CommandError(f"No such file: {path}")
        # The stream OutputWrapper wraps (rich writes its own line endings); the stubs do not declare it.
        self.console = Console(file=cast(TextIO, self.stdout._out), highlight=False)
        failed = 0
        if borrowers:
            failed += self._import_borrowers(target, borrowers, chunk_size)
        if loans:
            failed += self._import_loans(target, loans, chunk_size)
        if failed:
            raise CommandError(f"{failed} row(s) were not imported: their chunks had errors (listed above).")

    # --- the two kinds ---------------------------------------------------------------------------------

    def _import_borrowers(self, platform: Platform, path: str, chunk_size: int) -> int:

        items = borrower_items(path)
        seen: dict[str, int] = {}
        early: dict[int, list[str]] = {}
        for item in items:
            eid = item.data.get("external_id")
            if eid in seen:
                early[item.line] = [f"external_id: Repeated in the file (line {seen[eid]})."]
            elif eid:
                seen[eid] = item.line

        def upsert(chunk: list[Item]) -> tuple[dict[int, list[str]], tuple[int, int]]:
            serializer = BorrowerInputSerializer(data=[i.data for i in chunk], many=True)
            if not serializer.is_valid():
                return self._row_errors(chunk, serializer.errors), (0, 0)
            try:
                result = borrowers_bulk_upsert(platform=platform, borrowers=serializer.validated_data)
            except BorrowerRowsInvalid as exc:
                return self._row_errors(chunk, exc.errors), (0, 0)
            except BorrowersConflict:
                return {chunk[0].line: ["A concurrent import created some of these borrowers; run again."]}, (0, 0)
            return {}, (result.created, result.updated)

        return self._run("borrowers", path, items, early, chunk_size, upsert)

    def _import_loans(self, platform: Platform, path: str, chunk_size: int) -> int:

        items, grouping_errors = loan_items(path)
        early = {line: [f"{f}: {m}" for f, ms in errs.items() for m in ms] for line, errs in grouping_errors.items()}

        def upsert(chunk: list[Item]) -> tuple[dict[int, list[str]], tuple[int, int]]:
            serializer = LoanInputSerializer(data=[i.data for i in chunk], many=True)
            if not serializer.is_valid():
                return self._row_errors(chunk, serializer.errors), (0, 0)
            try:
                result = loans_bulk_upsert(platform=platform, loans=serializer.validated_data)
            except LoanRowsInvalid as exc:
                return self._row_errors(chunk, exc.errors), (0, 0)
            return {}, (result.created, result.updated)

        return self._run("loans", path, items, early, chunk_size, upsert)

    # --- shared ----------------------------------------------------------------------------------------

    @staticmethod
    def _row_errors(chunk: list[Item], errors: Any) -> dict[int, list[str]]:
        pairs = errors.items() if isinstance(errors, dict) else enumerate(errors)
        out: dict[int, list[str]] = {}
        for index, row_errors in pairs:
            if row_errors:
                for line, messages in item_errors(chunk[int(index)], dict(row_errors)).items():
                    out.setdefault(line, []).extend(messages)
        return out

    def _run(self, kind, path, items, early, chunk_size, upsert) -> int:
        """Import `items` chunk by chunk; print errors by line; return the number of CSV rows not imported."""
        created = updated = failed_rows = 0
        total_rows = sum(len(i.lines) or 1 for i in items)
        columns = (TextColumn(f"[bold]{kind}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task(kind, total=total_rows)
            for start in range(0, len(items), chunk_size):
                chunk = items[start : start + chunk_size]
                rows = sum(len(i.lines) or 1 for i in chunk)
                chunk_lines = {line for i in chunk for line in (i.lines or [i.line])}
                errors = {line: ms for line, ms in early.items() if line in chunk_lines}
                if not errors:
                    errors, (c, u) = upsert(chunk)
                    created, updated = created + c, updated + u
                if errors:
                    failed_rows += rows
                    first, last = min(chunk_lines), max(chunk_lines)
                    for line in sorted(errors):
                        for message in errors[line]:
                            self.stderr.write(f"{path}, line {line}: {message}")
                    self.stderr.write(f"{path}: lines {first}-{last} not imported (the chunk had errors).")
                progress.advance(task, rows)
        self.stdout.write(f"{kind}: {created} created, {updated} updated, {failed_rows} row(s) not imported.")
        return failed_rows
