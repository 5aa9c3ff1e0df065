"""manage.py import_csv: borrowers and loans from CSV through the bulk services, chunk by chunk."""

from __future__ import annotations

import datetime as dt
import io
import textwrap

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from borrowers.models import Borrower, Email, Phone, ThirdParty
from cases.models import Case, Installment, Loan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PAST = (TODAY - dt.timedelta(days=40)).isoformat()
LATER = (TODAY + dt.timedelta(days=20)).isoformat()
DISBURSED = (TODAY - dt.timedelta(days=100)).isoformat()

BORROWERS = textwrap.dedent(
    """\
    external_id,full_name,region,timezone,national_id,language,vulnerabilities,phone,phone_kind,phone_autodial_consent,phone2,phone2_kind,email,third_party,third_party_relationship,third_party_phone
    B-1,Wang Fang,CN-31,Asia/Shanghai,310101199001011234,zh-hans,unemployed;illness,+8613912345678,mobile,yes,+862161234567,work,wang@example.com,Li Wei,spouse,+8613812345678
    B-2,John Smith,US-NY,,,en,,+12125550100,mobile,no,,,,,,
    B-3,Jane Doe,GB-ENG,,,en,,,,,,,jane@example.com,,,
    """
)

LOANS = textwrap.dedent(
    f"""\
    external_id,borrower,product,currency,principal,annual_rate,disbursed_on,seq,due_date,principal_due,interest_due,fee_due
    L-1,B-1,consumer_loan,CNY,2000.00,,{DISBURSED},1,{PAST},1000.00,50.00,
    L-1,B-1,consumer_loan,CNY,2000.00,,{DISBURSED},2,{LATER},1000.00,50.00,
    L-2,B-2,credit_card,USD,500.00,0.2,{DISBURSED},1,{LATER},500.00,,
    """
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_borrowers_and_loans(tmp_path, platform):
    out, err = run(
        "--platform",
        platform.name,
        "--borrowers",
        write(tmp_path, "b.csv", BORROWERS),
        "--loans",
        write(tmp_path, "l.csv", LOANS),
    )
    assert "borrowers: 3 created, 0 updated, 0 row(s) not imported." in out
    assert "loans: 2 created, 0 updated, 0 row(s) not imported." in out
    assert err == ""
    b1 = Borrower.objects.get(platform=platform, external_id="B-1")
    assert b1.vulnerabilities == ["unemployed", "illness"] and b1.national_id_last4 == "1234"
    assert [(p.number, p.kind, p.autodial_consent) for p in b1.phones.all()] == [
        ("+8613912345678", "mobile", True),
        ("+862161234567", "work", False),
    ]
    assert b1.emails.get().address == "wang@example.com"
    assert b1.third_parties.get().relationship == "spouse"
    b3 = Borrower.objects.get(external_id="B-3")
    assert not b3.phones.exists() and b3.emails.count() == 1
    assert Borrower.history.count() == 3
    loan = Loan.objects.get(external_id="L-1")
    assert list(loan.installments.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    assert Installment.objects.count() == 3
    assert Case.objects.filter(loan=loan, status="open").exists()  # the delinquency refresh ran


def test_a_second_run_updates(tmp_path, platform):
    path = write(tmp_path, "b.csv", BORROWERS)
    run("--platform", platform.name, "--borrowers", path)
    out, _ = run("--platform", platform.name, "--borrowers", path)
    assert "borrowers: 0 created, 3 updated" in out
    assert Borrower.objects.count() == 3 and Phone.objects.count() == 3


def test_a_bad_borrower_row_is_reported_with_its_line_and_nothing_written(tmp_path, platform):
    bad = BORROWERS.replace("B-2,John Smith,US-NY", "B-2,John Smith,XX-99")
    with pytest.raises(CommandError, match="3 row"):
        _, err = run("--platform", platform.name, "--borrowers", write(tmp_path, "b.csv", bad))
    assert (Borrower.objects.count(), Phone.objects.count(), Email.objects.count(), ThirdParty.objects.count()) == (
        0,
        0,
        0,
        0,
    )
    assert Borrower.history.count() == 0


def test_the_error_names_the_line_and_field(tmp_path, platform):
    bad = BORROWERS.replace("+12125550100", "not-a-phone")
    path = write(tmp_path, "b.csv", bad)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "--platform", platform.name, "--borrowers", path, stdout=io.StringIO(), stderr=err)
    text = err.getvalue()
    assert f"{path}, line 3: phones:" in text
    assert "lines 2-4 not imported" in text
    assert not Borrower.objects.exists()


def test_only_the_bad_chunk_is_skipped(tmp_path, platform):
    bad = BORROWERS.replace("B-3,Jane Doe,GB-ENG", "B-3,Jane Doe,XX-99")
    err = io.StringIO()
    path = write(tmp_path, "b.csv", bad)
    with pytest.raises(CommandError, match="1 row"):
        call_command(
            "import_csv", "--platform", platform.name, "--borrowers", path, "--chunk-size", "2", stderr=err,
            stdout=io.StringIO(),
        )  # fmt: skip
    assert f"{path}, line 4: region:" in err.getvalue()
    assert set(Borrower.objects.values_list("external_id", flat=True)) == {"B-1", "B-2"}


def test_a_bad_installment_row_is_reported_with_its_own_line(tmp_path, platform):
    run("--platform", platform.name, "--borrowers", write(tmp_path, "b.csv", BORROWERS))
    bad = LOANS.replace(f"2,{LATER},1000.00", f"2,{LATER},-5")
    path = write(tmp_path, "l.csv", bad)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "--platform", platform.name, "--loans", path, stdout=io.StringIO(), stderr=err)
    assert f"{path}, line 3: principal_due:" in err.getvalue()
    assert not Loan.objects.exists() and not Installment.objects.exists()


def test_an_unknown_borrower_is_reported_on_the_loans_first_line(tmp_path, platform):
    run("--platform", platform.name, "--borrowers", write(tmp_path, "b.csv", BORROWERS))
    path = write(tmp_path, "l.csv", LOANS.replace("L-2,B-2", "L-2,B-404"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "--platform", platform.name, "--loans", path, stdout=io.StringIO(), stderr=err)
    assert f"{path}, line 4: borrower: Unknown borrower external id B-404." in err.getvalue()
    assert not Loan.objects.exists()


def test_loan_columns_must_agree_across_a_loans_rows(tmp_path, platform):
    run("--platform", platform.name, "--borrowers", write(tmp_path, "b.csv", BORROWERS))
    lines = LOANS.splitlines()
    lines[2] = lines[2].replace("2000.00", "2500.00")
    path = write(tmp_path, "l.csv", "\n".join(lines) + "\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_csv", "--platform", platform.name, "--loans", path, stdout=io.StringIO(), stderr=err)
    assert f"{path}, line 3: principal: Differs from line 2" in err.getvalue()
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "nope", "--borrowers", "x.csv"], "No platform"),
        (["--platform", "{p}"], "Give --borrowers"),
        (["--platform", "{p}", "--borrowers", "/nonexistent.csv"], "No such file"),
    ],
)
def test_bad_arguments(platform, args, message):
    with pytest.raises(CommandError, match=message):
        run(*[a.replace("{p}", platform.name) for a in args])


def test_unknown_or_missing_columns_are_refused(tmp_path, platform):
    with pytest.raises(CommandError, match="unknown column"):
        run("--platform", platform.name, "--borrowers", write(tmp_path, "b.csv", "external_id,full_name,region,fax\n"))
    with pytest.raises(CommandError, match="missing column"):
        run("--platform", platform.name, "--borrowers", write(tmp_path, "c.csv", "external_id,full_name\n"))
