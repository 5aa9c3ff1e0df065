"""The project's one way of producing a PDF document (a plan's written agreement, a lawyer letter): A4 with
the same margins, reportlab's built-in CJK font STSong-Light whenever the text needs it (no font files to
ship), and text escaped before reportlab's little markup reads it. Each document builds its own story
from the styles given here; where it is stored and how it is hashed into the evidence chain is the
caller's (compliance.evidence.link_document over the stored file)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from typing import Any

CJK_FONT = "STSong-Light"


def needs_cjk(language: str, *texts: str) -> bool:
    """Chinese documents, and any document with a character beyond Latin-1 (a Chinese name in an English
    letter), need the CJK font."""
    return language.startswith("zh") or any(ord(ch) > 0xFF for text in texts for ch in text)


@dataclass
class Styles:
    body: Any
    head: Any
    title: Any

    def p(self, text: str, style: Any = None) -> Any:
        """A paragraph of plain text: '<' and '&' print as such."""
        from reportlab.platypus import Paragraph  # reportlab is heavy: loaded when a PDF is made

        return Paragraph(escape(text), style or self.body)


def styles(cjk: bool) -> Styles:
    from reportlab.lib.styles import ParagraphStyle  # reportlab is heavy: loaded when a PDF is made
    from reportlab.pdfbase import pdfmetrics  # reportlab is heavy: loaded when a PDF is made
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # reportlab is heavy: loaded when a PDF is made

    if cjk:
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        font, bold = CJK_FONT, CJK_FONT
    else:
        font, bold = "Helvetica", "Helvetica-Bold"
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK" if cjk else None)
    head = ParagraphStyle("head", parent=body, fontName=bold, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=17, leading=24, alignment=1, spaceAfter=8)
    return Styles(body=body, head=head, title=title)


def pdf_build(story: list[Any], *, title: str, author: str) -> bytes:
    """The story laid out on A4 pages, as PDF bytes."""
    from reportlab.lib.pagesizes import A4  # reportlab is heavy: loaded when a PDF is made
    from reportlab.lib.units import mm  # reportlab is heavy: loaded when a PDF is made
    from reportlab.platypus import SimpleDocTemplate  # reportlab is heavy: loaded when a PDF is made

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=author,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story)
    return buffer.getvalue()
