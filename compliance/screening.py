"""Content screening: find prohibited wording in a message or template, in Chinese and English.

The lexicon (compliance.lexicon) holds phrases and patterns whose parts may have words between them
("borrow ... to repay", "借 ... 还"). Text is normalised before matching:

- NFKC folds full-width letters and digits (ｋｉｌｌ → kill); case is ignored; zero-width characters
  are dropped; letters spelt out with separators ("k i l l", "k.i.l.l") are joined back;
- traditional Chinese characters are folded to simplified (還錢 → 还钱) with the table T2S below, which
  covers the characters of the lexicon and the words around them (cheap, not a full converter);
- English is matched as whole words over the text with its punctuation turned into spaces; Chinese is
  matched with spaces and punctuation removed inside a part. Sentence ends (. ! ? ; 。！？；) stop a
  pattern: its parts must be in one sentence.

A match in a category of lexicon.NEGATABLE is ignored when a negation governs it: a negator
(lexicon.NEGATORS) in the same clause shortly before the match, with no new clause started between
them ("we will not ask you to borrow money to repay" passes; "if you don't pay we will call your
employer" does not). Each finding carries the span of text that matched, which the decision's reason shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache, lru_cache

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from . import lexicon

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPELT_OUT = re.compile(r"\b(?:[a-z][\s\.\-_*·]+){2,}[a-z]\b")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?;。！？；…\n]+")
_CLAUSE_BREAK = re.compile(r"[,，、:：]+")

# Traditional → simplified for the characters the lexicon uses and common ones around them.
_T2S_PAIRS = (
    "殺杀 還还 錢钱 貸贷 債债 訴诉 訟讼 傳传 喚唤 騙骗 貨货 腦脑 殘残 廢废 們们 會会 讓让 給给 單单 親亲 鄰邻 領领"
    " 導导 緊紧 聯联 繫系 係系 絡络 錄录 訊讯 將将 後后 負负 來来 門门 鬧闹 潑泼 糞粪 這这 個个 說说 話话 對对 時时"
    " 間间 與与 為为 報报 張张 貼贴 網网 發发 開开 掛挂 當当 責责 檢检 執执 長长 務务 員员 辦办 養养 舊旧 東东 牆墙"
    " 補补 現现 賴赖 臉脸 賤贱 癡痴 媽妈 滾滚 屬属 點点 錯错 過过 頭头 斷断 麼么 樣样 處处 證证 據据 書书 應应 該该"
    " 幫帮 號号 碼码 電电 體体 難难 盡尽 機机 關关 違违 約约 惡恶 賬账 帳账 費费 額额 馬马 內内 判判 決决 嗎吗 妳你"
    " 沒没 絕绝 並并 別别 險险 職职 閉闭 罵骂 輩辈 裡里 裏里 學学 戶户 區区 畫画 圖图 產产 紅红 綠绿 鐵铁 鋼钢 劃划"
    " 則则 敗败 類类 窩窝 囊囊 屍尸 喪丧 遠远 無无 結结 償偿 擔担 憂忧 愛爱 獄狱 監监 審审 罰罚 罪罪 偵侦 經经 緝缉"
    " 庭庭 級级 嚴严 重重 堆堆 齊齐 夠够 啟启 須须 務务 辭辞 團团 隊队 齡龄 聽听 寫写 讀读 認认 識识 謝谢 請请 問问"
    " 歡欢 樂乐 節节 祝祝 順顺 實实 際际 細细 條条 總总 數数 據据 準准 確确 聯联 繫系 這这 處处 優优 惠惠 壓压 擊击"
    " 蟲虫 豬猪 狗狗 藥药 傷伤 燒烧 砍砍 揍揍 兇凶 狠狠 嚇吓 脅胁 恐恐 嚇吓 抓抓 捕捕 攔拦 堵堵 砸砸 漲涨 鬥斗 搶抢"
    " 誰谁 個个 兒儿 孫孙 寶宝 爺爷 奶奶 婦妇 師师 醫医 療疗 護护 機机 構构 銀银 卡卡 唄呗 條条 貸贷 湊凑 籌筹 幣币"
)
T2S = {ord(pair[0]): pair[1] for pair in _T2S_PAIRS.split() if pair[0] != pair[1]}


@dataclass(frozen=True)
class Finding:
    category: str
    term: str
    language: str
    span: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def describe(self) -> str:
        """What a reason shows: the text that matched (and the entry, when it is a pattern)."""
        return f"“{self.span}”" if self.span else self.term


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_ZERO_WIDTH).casefold().translate(T2S)


def _join_spelt(match: re.Match[str]) -> str:
    return re.sub(r"[\s\.\-_*·]+", "", match.group(0))


def normalise(text: str) -> str:
    """Full-width → ASCII, casefold, traditional → simplified, no zero-width characters, whitespace
    collapsed, spelt-out words joined."""
    text = _SPELT_OUT.sub(_join_spelt, _fold(text))
    return " ".join(text.split())


def _spelt_segments(text: str) -> list[str]:
    """Letters spelt out one by one ("k i l l y o u") joined: word breaks are lost there, so English
    terms are looked for inside these segments without boundaries (and only there, to keep "skill"
    from matching "kill" in ordinary text)."""
    return [_join_spelt(m) for m in _SPELT_OUT.finditer(_fold(text))]


def _en_form(normalised: str) -> str:
    """Words separated by single spaces, "|" for a sentence end and "," for a clause break, padded with
    spaces: " we will not sue you | call us "."""
    text = _SENTENCE_END.sub(" | ", normalised)
    text = _CLAUSE_BREAK.sub(" , ", text)
    text = re.sub(r"[^\w|,]+|_", " ", text)
    # Latin letters run into Chinese ones ("tmd还钱"): a word break between them
    text = re.sub(r"(?<=[a-z0-9])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[a-z0-9])", " ", text)
    return " " + " ".join(text.split()) + " "


def _zh_form(normalised: str) -> str:
    """Letters and digits only, "|" for a sentence end and "," for a clause break: "我们不会起诉你|请还款"."""
    text = _SENTENCE_END.sub("|", normalised)
    text = _CLAUSE_BREAK.sub(",", text)
    return re.sub(r"[^\w|,]+|_", "", text)


# --- compiling entries -------------------------------------------------------------------------------------

_GAP_MARK = re.compile(r"\s*\.\.\.(\d*)\s*")


@dataclass(frozen=True)
class _Entry:
    term: str
    ascii: bool
    pattern: re.Pattern[str]
    spelt: re.Pattern[str] | None  # a Latin entry's letters with no breaks, for text spelt out letter by letter


def _en_part(part: str) -> str:
    alternatives = []
    for alternative in part.split("/"):
        words = _NON_WORD.sub(" ", normalise(alternative)).split()
        if words:
            # punctuation between the words of a phrase is tolerated ("your, family")
            alternatives.append(r" (?:, )?".join(map(re.escape, words)))
    return "(?:" + "|".join(alternatives) + ")"


def _zh_part(part: str) -> str:
    alternatives = []
    for alternative in part.split("/"):
        chars = _NON_WORD.sub("", normalise(alternative))
        if chars:
            # punctuation inside a term is tolerated (傻。逼, 傻 - 逼)
            alternatives.append("[,|]?".join(map(re.escape, chars)))
    return "(?:" + "|".join(alternatives) + ")"


@cache
def _entry(term: str) -> _Entry:
    is_ascii = term.isascii()
    pieces = _GAP_MARK.split(term.strip())
    parts, windows = pieces[0::2], pieces[1::2]
    language = "en" if is_ascii else "zh"
    regex = ""
    for index, part in enumerate(parts):
        if index:
            window = int(windows[index - 1] or lexicon.WINDOW[language])
            regex += rf" (?:[^ |]+ ){{0,{window}}}" if is_ascii else rf"[^|]{{0,{window}}}"
        regex += _en_part(part) if is_ascii else _zh_part(part)
    spelt = None
    if is_ascii:
        regex = r"(?<= )" + regex + r"(?= )"
        letters = [
            "(?:" + "|".join(re.escape(_NON_WORD.sub("", normalise(a))) for a in part.split("/")) + ")"
            for part in parts
        ]
        spelt = re.compile("".join(letters))
    return _Entry(term=term, ascii=is_ascii, pattern=re.compile(regex), spelt=spelt)


# --- matching ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Forms:
    en: str
    zh: str
    spelt: tuple[str, ...]


@lru_cache(maxsize=64)
def _forms(text: str) -> _Forms | None:
    """The text's searchable forms, once per text: a message is screened for every category in turn."""
    norm = normalise(text)
    if not norm:
        return None
    return _Forms(en=_en_form(norm), zh=_zh_form(norm), spelt=tuple(_spelt_segments(text)))


def _negated(before: str, language: str) -> bool:
    """Whether a negation governs what follows `before` (the text of the form before the match)."""
    clause = re.split(r"[|,]", before)[-1]
    if language == "en":
        words = clause.split()[-6:]
        for index in range(len(words) - 1, -1, -1):
            if words[index] in lexicon.CLAUSE_BREAKERS["en"]:
                return False
            if words[index] in lexicon.NEGATORS["en"]:
                # "why don't you borrow": a suggestion, not a denial
                return not any(w in lexicon.NOT_A_NEGATION["en"] for w in words[max(0, index - 2) : index])
        return False
    tail = clause[-8:]
    best = -1
    for negator in lexicon.NEGATORS["zh"]:
        best = max(best, tail.rfind(negator) + len(negator) if negator in tail else -1)
    if best < 0:
        return False
    after = tail[best:]
    if any(word in clause[-12:] for word in lexicon.NOT_A_NEGATION["zh"]):
        return False
    return not any(breaker in after for breaker in lexicon.CLAUSE_BREAKERS["zh"])


def _match(entry: _Entry, forms: _Forms, negatable: bool) -> str | None:
    """The span an entry matches in the text (the first one no negation governs), or None."""
    form = forms.en if entry.ascii else forms.zh
    language = "en" if entry.ascii else "zh"
    for found in entry.pattern.finditer(form):
        if negatable and _negated(form[: found.start()], language):
            continue
        span = found.group(0)
        return " ".join(span.replace("|", " ").replace(",", " ").split()) if entry.ascii else span
    # Letters spelt out one by one lose their word breaks: look for the letters alone there.
    if entry.spelt is not None:
        for segment in forms.spelt:
            hit = entry.spelt.search(segment)
            if hit:
                return hit.group(0)
    return None


def find_terms(text: str, terms: dict[str, list[str]], category: str, language: str | None = None) -> list[Finding]:
    """Findings for one category's entries ({"en": [...], "zh": [...]}) in the text."""
    forms = _forms(text)
    if forms is None:
        return []
    negatable = category in lexicon.NEGATABLE
    found: list[Finding] = []
    for lang in ("en", "zh"):
        if language not in (None, lang, "zh-hans" if lang == "zh" else lang):
            continue
        for term in terms.get(lang, []):
            span = _match(_entry(term), forms, negatable)
            if span is not None:
                found.append(Finding(category, term, lang, span))
    return found


def screen_text(text: str, language: str | None = None) -> list[Finding]:
    """Every prohibited entry in the text: threats, insults, obscenity, impersonation of police, courts or
    government, public exposure, contacting relatives or the address book, pressure to borrow.

    Both lexicons are always applied, whatever `language` says (the language of a template or of the
    borrower): messages mix languages, and an English insult in a Chinese template is still an insult.
    `language` is kept in the signature so callers can pass it and future language-specific entries can use it.
    """
    findings: list[Finding] = []
    for category, terms in lexicon.PROHIBITED.items():
        findings += find_terms(text, terms, category)
    return findings


def describe(findings: Iterable[Finding]) -> str:
    """The matched spans of findings, for a reason: “borrow some money from friends to repay” (borrow_to_pay)."""
    return ", ".join(sorted({f"{f.describe()} ({f.category})" for f in findings}))


def mentions_debt(text: str) -> list[Finding]:
    return find_terms(text, lexicon.DEBT_DISCLOSURE, "debt_disclosure")


def mentions_legal_action(text: str) -> list[Finding]:
    return find_terms(text, lexicon.LEGAL_ACTION, "legal_action")


def mentions_pressure(text: str) -> list[Finding]:
    return find_terms(text, lexicon.PRESSURE, "pressure")


_AMOUNT = re.compile(
    r"(?:[$¥£€]\s?\d)|(?:\d[\d,]*(?:\.\d{1,2})?\s?(?:usd|cny|gbp|eur|rmb|dollars?|美元|元|块))", re.IGNORECASE
)


def beyond_limited_content(text: str) -> list[Finding]:
    """What a limited-content voicemail (Regulation F, 12 CFR 1006.2(j)) may not hold: anything about the
    debt (the debt-disclosure and legal-action lists, an amount of money). Names, a request to reply, a
    phone number and how to opt out are all it may hold."""
    findings = mentions_debt(text) + mentions_legal_action(text)
    norm = normalise(text)
    findings += [Finding("amount", "amount", "en", m.group(0)) for m in _AMOUNT.finditer(norm)]
    return findings


def contains_keyword(text: str, keywords: Iterable[str]) -> bool:
    """True if any keyword occurs (case- and width-insensitive; Latin keywords as whole words)."""
    forms = _forms(text)
    if forms is None:
        return False
    # No spelt-out segments here: an opt-out instruction must be readable, not "S T O P" hidden in noise.
    plain = _Forms(en=forms.en, zh=forms.zh, spelt=())
    return any(_match(_entry(keyword), plain, negatable=False) is not None for keyword in keywords)


@deconstructible
class ProhibitedContentValidator:
    """A model/form field validator: rejects a template or message containing prohibited wording.

    Attach it to a template's body field: `body = models.TextField(validators=[ProhibitedContentValidator()])`.
    """

    message = _("This text contains prohibited wording: %(terms)s.")
    code = "prohibited_content"

    def __init__(self, language: str | None = None) -> None:
        self.language = language

    def __call__(self, value: str) -> None:
        findings = screen_text(value, self.language)
        if findings:
            raise ValidationError(self.message, code=self.code, params={"terms": describe(findings)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProhibitedContentValidator) and other.language == self.language


def validate_prohibited_content(value: str) -> None:
    """Function form of ProhibitedContentValidator (both languages)."""
    ProhibitedContentValidator()(value)
