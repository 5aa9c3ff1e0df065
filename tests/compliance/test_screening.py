"""Screening that reads sentences (issue 19, item 2): patterns with words between their parts, both scripts,
full width, spacing, pinyin initials and negation; the labelled corpus held above 0.95 precision and recall;
the matched span in the decision's reason."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from compliance import corpus, lexicon
from compliance.screening import mentions_legal_action, screen_text

from .conftest import check, local


def categories(text: str) -> set[str]:
    return {f.category for f in screen_text(text)}


# --- the corpus --------------------------------------------------------------------------------------------


def test_the_corpus_is_large_and_balanced():
    samples = corpus.load()
    assert len(samples) >= 300
    for language in ("en", "zh"):
        mine = [s for s in samples if s.language == language]
        assert sum(s.prohibited for s in mine) >= 60
        assert sum(not s.prohibited for s in mine) >= 60
    assert {s.category for s in samples if s.prohibited} == set(lexicon.PROHIBITED)


def test_precision_and_recall_stay_above_095_in_each_language():
    result = corpus.score()
    for part in (result, result.subset("en"), result.subset("zh")):
        assert part.precision > 0.95, [o.sample.text for o in part.errors]
        assert part.recall > 0.95, [o.sample.text for o in part.errors]


def test_the_command_prints_precision_and_recall():
    out = io.StringIO()
    call_command("screening_corpus", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("all: ")
    assert "precision" in lines[0] and "recall" in lines[0]
    assert any(line.startswith(" zh: ") for line in lines)
    with pytest.raises(CommandError):
        call_command("screening_corpus", "--min", "1.01", stdout=io.StringIO())


# --- the examples: a demand to borrow elsewhere, with words between its parts ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "Borrow some money from your friends to repay us today.",
        "You could borrow   the money from a relative and pay us tomorrow.",
        "Why don't you just borrow a few hundred from your brother and pay the balance?",
        "Take out another loan if you must, but pay us.",
        "Ｇｅｔ ａ ｌｏａｎ from another lender and settle this.",
        "你去找朋友借点钱把欠款还上。",
        "向亲戚借钱来还",
        "跟你同事借一点，先还一部分。",
        "借 点 钱 还 给 我 们",
        "向親戚借錢還款",  # traditional characters
        "用信用卡套现还款",
    ],
)
def test_a_demand_to_borrow_to_pay_is_caught_with_words_between_its_parts(text):
    assert "borrow_to_pay" in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "Please do not borrow money to repay us: call us and we will find a plan.",
        "We will never ask you to borrow from friends to pay us.",
        "请不要借钱还款，如有困难请致电我们协商分期。",
        "本公司不会要求您向他人借款还款。",
        "您的借款还有3天到期，请按时还款。",
        "您借的钱还未归还，请尽快还款。",
        "您的贷款还款日为每月15日。",
        "Your loan payment is due; to pay, visit our website.",
    ],
)
def test_innocuous_sentences_about_loans_and_advice_not_to_borrow_pass(text):
    assert screen_text(text) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("If you don't pay we will call your employer.", "contacts"),
        ("再不还就联系你的家人。", "contacts"),
        ("We know where your kids go to school.", "threat"),
        ("找人收拾你", "threat"),
        ("你这个骗子", "insult"),
        ("我们是法院的，你马上还款。", "impersonation"),
        ("把你的照片发到网上", "public_exposure"),
        ("你ＴＭＤ还钱", "obscenity"),
        ("後果自負", "threat"),
    ],
)
def test_each_category_reads_sentences(text, category):
    assert category in categories(text)


@pytest.mark.parametrize(
    "text",
    [
        "We will not take legal action; we want to agree a plan.",
        "We will never contact your employer or your family about this account.",
        "我们不会联系你的家人，请放心。",
        "我们绝不会把您的信息告诉您的单位。",
        "We wish you and your family a happy new year.",
        "祝你和你的家人新年快乐。",
        "请谨防电信诈骗，不要向陌生账户转账。",
        "Please check your spam or trash folder for our letter.",
    ],
)
def test_negations_and_greetings_are_not_threats(text):
    assert screen_text(text) == []


def test_a_negation_does_not_reach_into_the_next_clause():
    assert "contacts" in categories("If you do not pay, we will contact your family.")
    assert "contacts" in categories("如果你不还钱，我们就通知你的家人。")


def test_negation_excuses_a_legal_mention_but_not_an_insult():
    assert mentions_legal_action("We will not sue you.") == []
    assert [f.span for f in mentions_legal_action("We will sue you.")] == ["sue"]
    assert "insult" in categories("You are not an idiot, so pay.")


def test_a_sentence_end_stops_a_pattern():
    assert screen_text("Borrowing is easy with our app. To pay, use the link.") == []


# --- the reason shows the matched span --------------------------------------------------------------------


def test_the_decision_reason_shows_the_matched_span(cn_borrower):
    result = check(
        cn_borrower,
        local("Asia/Shanghai", 2026, 6, 10, 10, 0),
        channel="sms",
        message="请找你朋友借点钱把欠款还上",
    )
    reason = next(r for r in result.reasons if r["code"] == "prohibited_content")
    assert "“找你朋友借点钱把欠款还" in reason["message_zh"]
    assert "(borrow_to_pay)" in reason["message_en"]
    assert result.decision.facts["lexicon_version"] == lexicon.LEXICON_VERSION == 2


def test_an_innocuous_reminder_passes_the_gate(cn_borrower):
    when = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)
    result = check(cn_borrower, when, channel="sms", message="您的借款还有3天到期，请按时还款。回复TD退订")
    assert "prohibited_content" not in {r["code"] for r in result.reasons}
