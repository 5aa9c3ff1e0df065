"""Message templates: what validates renders for every case, within its channel's length (issue 14, item 6).

`{}`, `{amount:d}` and `{borrower_name!x}` used to validate and then fail every retry of every reminder;
`{amount:>50000000}` rendered a 50 MB SMS.
"""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.default_strategies import PLAN_TEMPLATES, TEMPLATES
from outreach.models import JobStatus, MessageTemplate
from outreach.rendering import (
    MAX_FORMAT_WIDTH,
    OPT_OUT_TEXT,
    SAMPLE_CONTEXT,
    TEMPLATE_PLACEHOLDERS,
    TemplateError,
    max_body_length,
    reminder_context,
    render_template,
    template_errors,
)
from outreach.services import reminder_send

from .conftest import due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db


def _template(body: str, *, subject: str = "", channel: str = "sms") -> MessageTemplate:
    return MessageTemplate(code="t", channel=channel, language="en", subject=subject, body=body)


UNRENDERABLE = [
    "Hi {}",
    "Hi {0}",
    "Due {amount:d}",
    "Due {amount:,.2f}",  # the amount is already text
    "Hi {borrower_name!x}",
    "Hi {borrower_name!}",
    "Hi {borrower_name",
    "Hi borrower_name}",
    "Hi {borrower_name.upper}",
    "Hi {amount[0]}",
    "Hi {amount:{dpd}}",
    "Hi {nickname}",
    "Due {dpd:q}",
]


@pytest.mark.parametrize("body", UNRENDERABLE)
def test_a_body_that_cannot_be_rendered_does_not_validate(body):
    with pytest.raises(ValidationError) as error:
        _template(body).full_clean()

    assert list(error.value.message_dict) == ["body"]


@pytest.mark.parametrize("subject", ["Loan {}", "Loan {amount:d}", "Loan {loan_ref!x}"])
def test_a_subject_that_cannot_be_rendered_does_not_validate(subject):
    with pytest.raises(ValidationError) as error:
        _template("Hi {borrower_name}", subject=subject, channel="email").full_clean()

    assert list(error.value.message_dict) == ["subject"]


@pytest.mark.parametrize("spec", [">50000000", "<61", "^61", "061", ".61", "x>100", "0>1000"])
def test_a_format_wider_than_the_bound_does_not_validate(spec):
    with pytest.raises(ValidationError, match="widths and precisions above 60"):
        _template("Due {amount:" + spec + "}").full_clean()


@pytest.mark.parametrize(
    "body",
    [
        "Hi {borrower_name}, {amount} {currency} is due on {due_date}. {opt_out}",
        "Due {amount:>18} ({dpd:d} days, {dpd:05}) {loan_ref!r} {platform_name:.60}",
        "Literal {{braces}} and {currency:^" + str(MAX_FORMAT_WIDTH) + "}",
        "No placeholder at all",
    ],
)
def test_a_renderable_template_validates(body):
    _template(body).full_clean()


@pytest.mark.parametrize("data", TEMPLATES + PLAN_TEMPLATES, ids=lambda d: f"{d['code']}-{d['language']}")
def test_every_shipped_template_validates(data):
    MessageTemplate(**data).full_clean()


def test_the_rendered_length_is_bounded_per_channel():
    longest_name = "{borrower_name}"  # 200 characters at its longest
    assert max_body_length("sms") == 1600 and max_body_length("email") == 20_000

    _template(longest_name * 8).full_clean()  # 1,600 characters: the limit
    with pytest.raises(ValidationError, match="1,800 characters; at most 1,600 fit"):
        _template(longest_name * 9).full_clean()
    with pytest.raises(ValidationError, match="at most 1,600 fit"):
        _template("x" * 1601).full_clean()
    _template(longest_name * 9, channel="email").full_clean()
    with pytest.raises(ValidationError, match="at most 20,000 fit"):
        _template("{amount:>60}" * 400, channel="email").full_clean()


def test_the_admin_form_refuses_a_template_that_cannot_be_rendered(client, admin_user):
    client.force_login(admin_user)
    form = {"code": "reminder", "channel": "sms", "language": "en", "subject": "", "active": "on"}

    refused = client.post("/admin/outreach/messagetemplate/add/", {**form, "body": "Due {amount:>50000000}"})

    assert refused.status_code == 200
    assert "widths and precisions above 60" in refused.content.decode()
    assert not MessageTemplate.objects.exists()
    saved = client.post("/admin/outreach/messagetemplate/add/", {**form, "body": "Due {amount:>12} {opt_out}"})
    assert saved.status_code == 302
    assert MessageTemplate.objects.get().body == "Due {amount:>12} {opt_out}"


def test_the_sample_names_every_placeholder_at_its_longest():
    assert set(SAMPLE_CONTEXT) == TEMPLATE_PLACEHOLDERS
    case = make_case(due_in_days=-3)
    context = reminder_context(case=case, due_date=case.loan.installments.get().due_date, channel="sms", language="en")
    assert set(context) == TEMPLATE_PLACEHOLDERS
    for name, value in context.items():
        if name == "portal_link":  # a link made when a template uses it: it renders as the URL string it is
            assert (
                f"{value!r} {value!s} {value!a} {value:>10}"
                == f"{str(value)!r} {str(value)} {str(value)!a} {str(value):>10}"
            )
            value = str(value)
        assert type(value) is type(SAMPLE_CONTEXT[name]), name
    assert len(SAMPLE_CONTEXT["opt_out"]) == max(len(text) for text in OPT_OUT_TEXT.values())


# --- a template that validates renders for every case ---------------------------------------------------

_fields = st.tuples(
    st.sampled_from(sorted(TEMPLATE_PLACEHOLDERS)),
    st.sampled_from(["", "!r", "!s", "!a"]),
    st.sampled_from(["", ":>12", ":<60", ":^5", ":d", ":05", ":.3", ":,", ":x", ":>60.2", ":*^40", ":+"]),
)
_pieces = st.lists(
    st.one_of(
        st.text(alphabet="ab {}。", max_size=6),
        _fields.map(lambda f: "{" + f[0] + f[1] + f[2] + "}"),
    ),
    max_size=12,
).map("".join)
_contexts = st.fixed_dictionaries(
    {
        "borrower_name": st.text(min_size=1, max_size=200),
        "amount": st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2).map(lambda a: f"{a:,.2f}"),
        "currency": st.sampled_from(["CNY", "USD", "GBP"]),
        "due_date": st.dates().map(lambda d: d.isoformat()),
        "dpd": st.integers(min_value=0, max_value=99_999),
        "loan_ref": st.from_regex(r"\A[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,99}\Z"),
        "platform_name": st.text(min_size=1, max_size=200),
        "opt_out": st.sampled_from(sorted(OPT_OUT_TEXT.values())),
    }
)


@settings(max_examples=300, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=_pieces,
    body=_pieces,
    channel=st.sampled_from(["sms", "email", "call", "letter"]),
    context=_contexts,
)
def test_a_template_that_validates_renders_for_every_case_within_its_limit(subject, body, channel, context):
    if template_errors(subject=subject, body=body, channel=channel):
        return
    template = MessageTemplate(code="t", channel=channel, language="en", subject=subject, body=body)

    rendered = render_template(template, context)

    assert len(rendered.body) <= max_body_length(channel)
    assert len(rendered.subject) <= 998


# --- a template saved before these checks ---------------------------------------------------------------


def test_a_reminder_with_a_template_saved_unchecked_fails_once_with_its_reason(strategy, outbox):
    sms = step(strategy, 0)
    # Saved without full_clean, as templates were before they were rendered on save.
    MessageTemplate.objects.filter(code=sms.template_code).update(body="Due {amount:d}")
    case = make_case(due_in_days=0)
    job = due_job(case, sms, status=JobStatus.CLAIMED, claimed_at=shanghai(10))

    outcome = reminder_send(job_id=job.pk, now=shanghai(10))

    assert outcome.status == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.skip_reason == f"template_unrenderable:{sms.template_code}"
    assert outbox_lines(outbox) == []
    with pytest.raises(TemplateError):
        render_template(MessageTemplate.objects.filter(code=sms.template_code).first(), SAMPLE_CONTEXT)


def test_the_placeholders_of_a_template_are_named(db):
    template = _template("{borrower_name} {amount:>5} {{literal}}", subject="{loan_ref}")

    assert template.placeholders() == {"borrower_name", "amount", "loan_ref"}
    assert {name for _, name, _, _ in string.Formatter().parse("{}") if name is not None} == {""}
