"""Content screening: find prohibited wording in a message or template, in Chinese and English.

Normalisation makes the lexicon hard to dodge: NFKC folds full-width letters and digits (ｋｉｌｌ → kill),
casefolding removes case, zero-width characters are dropped, letters spelt out with separators
("k i l l", "k.i.l.l") are joined back, and Chinese terms are matched with every space and punctuation
mark removed (傻 逼, 傻-逼).
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


@dataclass(frozen=True)
class Finding:
    category: str
    term: str
    language: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_ZERO_WIDTH).casefold()


def _join_spelt(match: re.Match[str]) -> str:
    return re.sub(r"[\s\.\-_*·]+", "", match.group(0))


def normalise(text: str) -> str:
    """Full-width → ASCII, casefold, no zero-width characters, whitespace collapsed, spelt-out words joined."""
    text = _SPELT_OUT.sub(_join_spelt, _fold(text))
    return " ".join(text.split())


def _spelt_segments(text: str) -> list[str]:
    """Letters spelt out one by one ("k i l l y o u") joined: word breaks are lost there, so English
    terms are looked for inside these segments without boundaries (and only there, to keep "skill"
    from matching "kill" in ordinary text)."""
    return [_join_spelt(m) for m in _SPELT_OUT.finditer(_fold(text))]


def _squeezed(normalised: str) -> str:
    """Everything but letters and digits removed: the form Chinese terms are matched against."""
    return _NON_WORD.sub("", normalised)


def _words(normalised: str) -> str:
    """Punctuation replaced by single spaces, so that English phrases match across "your,  family"."""
    return " " + " ".join(_NON_WORD.sub(" ", normalised).split()) + " "


_en_pattern_cache: dict[str, re.Pattern[str]] = {}


def _en_pattern(term: str) -> re.Pattern[str]:
    pattern = _en_pattern_cache.get(term)
    if pattern is None:
        words = _NON_WORD.sub(" ", normalise(term)).split()
        pattern = re.compile(r"(?<![a-z0-9])" + r" ".join(map(re.escape, words)) + r"(?![a-z0-9])")
        _en_pattern_cache[term] = pattern
    return pattern


@cache
def _squeezed_term(term: str) -> str:
    # Terms are few and fixed; every message is screened against all of them (the gate's hot path).
    return _squeezed(normalise(term))


def _term_in(term: str, words: str, squeezed: str, spelt: list[str]) -> bool:
    """One rule for every list: a Latin-letter term (English, or pinyin initials such as "tmd") is a
    whole word, or hidden in letters spelt out one by one; a Chinese term may be broken up by spaces
    and punctuation. Matching "tmd" across removed spaces would flag "Holly Wright MD"."""
    if term.isascii():
        return bool(_en_pattern(term).search(words)) or any(_squeezed_term(term) in seg for seg in spelt)
    return _squeezed_term(term) in squeezed


@lru_cache(maxsize=64)
def _forms(text: str) -> tuple[str, str, list[str]] | None:
    """The text's searchable forms (words, squeezed, spelt-out segments), once per text: a message is
    screened for every category in turn."""
    norm = normalise(text)
    if not norm:
        return None
    return _words(norm), _squeezed(norm), _spelt_segments(text)


def find_terms(text: str, terms: dict[str, list[str]], category: str, language: str | None = None) -> list[Finding]:
    """Findings for one category's terms ({"en": [...], "zh": [...]}) in the text."""
    forms = _forms(text)
    if forms is None:
        return []
    words, squeezed, spelt = forms
    found: list[Finding] = []
    if language in (None, "en"):
        found += [Finding(category, t, "en") for t in terms.get("en", []) if _term_in(t, words, squeezed, spelt)]
    if language in (None, "zh", "zh-hans"):
        found += [Finding(category, t, "zh") for t in terms.get("zh", []) if _term_in(t, words, squeezed, spelt)]
    return found


def screen_text(text: str, language: str | None = None) -> list[Finding]:
    """Every prohibited term in the text: threats, insults, obscenity, impersonation of police, courts or
    government, public exposure, contacting relatives or the address book, pressure to borrow.

    Both lexicons are always applied, whatever `language` says (the language of a template or of the
    borrower): messages mix languages, and an English insult in a Chinese template is still an insult.
    `language` is kept in the signature so callers can pass it and future language-specific entries can use it.
    """
    findings: list[Finding] = []
    for category, terms in lexicon.PROHIBITED.items():
        findings += find_terms(text, terms, category)
    return findings


def mentions_debt(text: str) -> list[Finding]:
    return find_terms(text, lexicon.DEBT_DISCLOSURE, "debt_disclosure")


def mentions_legal_action(text: str) -> list[Finding]:
    return find_terms(text, lexicon.LEGAL_ACTION, "legal_action")


def mentions_pressure(text: str) -> list[Finding]:
    return find_terms(text, lexicon.PRESSURE, "pressure")


def contains_keyword(text: str, keywords: Iterable[str]) -> bool:
    """True if any keyword occurs (case- and width-insensitive; Latin keywords as whole words)."""
    norm = normalise(text)
    words, squeezed = _words(norm), _squeezed(norm)
    # No spelt-out segments here: an opt-out instruction must be readable, not "S T O P" hidden in noise.
    return any(_term_in(keyword, words, squeezed, []) for keyword in keywords)


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
            terms = ", ".join(sorted({f"{f.term} ({f.category})" for f in findings}))
            raise ValidationError(self.message, code=self.code, params={"terms": terms})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProhibitedContentValidator) and other.language == self.language


def validate_prohibited_content(value: str) -> None:
    """Function form of ProhibitedContentValidator (both languages)."""
    ProhibitedContentValidator()(value)
