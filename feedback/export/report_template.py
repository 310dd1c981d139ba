"""Build the Word report's template: the styles an evaluator edits to restyle every report.

The committed file ``feedback/templates/report/report-template.docx`` is this module's output;
regenerate it after changing a style here with::

    .venv/bin/python -m feedback.export.report_template

Why a generated file and not one saved from Word: the styles are then reviewable in a diff, and
the file starts from python-docx's own default template, so every built-in style the writer
uses (Title, Subtitle, Heading 1-3, Caption, Quote, List Bullet, Table Grid) exists in it.
Evaluators may replace the file, or pass their own with ``feedback report --template FILE.docx``:
only its styles, page set-up, headers and footers are used (its body text is dropped).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from .docx_report import DEFAULT_TEMPLATE, TABLE_NOTE_STYLE, TABLE_TEXT_STYLE

FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans where Arial is missing
TEXT = RGBColor(0x0B, 0x0C, 0x0C)
HEADING = RGBColor(0x1D, 0x4F, 0x91)
GREY = RGBColor(0x50, 0x5A, 0x5F)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def build_template(target: Path) -> Path:
    """Write the template to ``target`` and return it."""
    document = Document()
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.font.color.rgb = TEXT
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for level, size in ((1, 18), (2, 14), (3, 11.5)):
        style = styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = HEADING if level < 3 else TEXT
        style.paragraph_format.space_before = Pt({1: 18, 2: 14, 3: 10}[level])
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    title = styles["Title"]
    title.font.name = FONT
    title.font.size = Pt(28)
    title.font.color.rgb = HEADING
    subtitle = styles["Subtitle"]
    subtitle.font.name = FONT
    subtitle.font.size = Pt(16)
    subtitle.font.italic = False
    subtitle.font.color.rgb = GREY
    caption = styles["Caption"]
    caption.font.name = FONT
    caption.font.size = Pt(9.5)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = TEXT
    caption.paragraph_format.space_before = Pt(8)
    caption.paragraph_format.space_after = Pt(4)
    caption.paragraph_format.keep_with_next = True
    note = styles.add_style(TABLE_NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    note.font.size = Pt(8.5)
    note.font.color.rgb = GREY
    note.paragraph_format.space_before = Pt(3)
    note.paragraph_format.space_after = Pt(10)
    cell = styles.add_style(TABLE_TEXT_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cell.font.size = Pt(9)
    cell.paragraph_format.space_before = Pt(1)
    cell.paragraph_format.space_after = Pt(1)
    cell.paragraph_format.line_spacing = 1.0
    quote = styles["Quote"]
    quote.font.name = FONT
    quote.font.italic = True
    quote.paragraph_format.left_indent = Cm(1)
    quote.paragraph_format.right_indent = Cm(1)

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.left_margin = section.right_margin = Cm(2.5)  # 16 cm of text: the charts' width
    section.top_margin = section.bottom_margin = Cm(2.2)
    section.different_first_page_header_footer = True  # the title page has no page number
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.style = styles["Footer"]
    footer.add_run("Page ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")
    document.core_properties.title = "Evaluation report"
    document.core_properties.author = "feedback"
    target.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(target))
    return target


if __name__ == "__main__":
    written = build_template(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TEMPLATE)
    print(f"wrote {written}")
