"""Builds the default Word template of protocols, `protocol.docx`, beside this file.

An admin may instead point DIALOGUE_PROTOCOL_DOCX_TEMPLATE at a template of their own, made in Word from
this one: it is filled with docxtpl (Jinja2 tags in the text; `{%p …%}` around paragraphs, `{%tr …%}`
around table rows). The variables are listed in the README.
Run: `python services/dialogue/templates/build_protocol_docx.py`.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "Times New Roman"  # the chancellery's face; Word and LibreOffice substitute a metric twin where it is missing


def _font(style, size: float, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _paragraph(document, text: str = "", *, bold: bool = False, align=None, space_after: float = 3,  # type: ignore[no-untyped-def]
               indent: bool = False, caps: bool = False):
    p = document.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold = bold
        run.font.all_caps = caps
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.25)
    return p


def _labelled(document, label: str, value: str, *, indent: bool = False):  # type: ignore[no-untyped-def]
    p = _paragraph(document, indent=indent, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    p.add_run(label).bold = True
    p.add_run(" " + value)
    return p


def _field(run, instruction: str) -> None:  # type: ignore[no-untyped-def]
    """A Word field (PAGE, NUMPAGES) inside a run."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _borders(table, size: int = 4) -> None:  # type: ignore[no-untyped-def]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:color"), "000000")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def build(target: Path) -> None:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    _font(document.styles["Normal"], 13)
    document.styles["Normal"].paragraph_format.space_after = Pt(3)

    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    _paragraph(document, "{%p if is_draft %}", space_after=0)
    _paragraph(document, "{{ L.draft }}", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "{%p endif %}", space_after=0)
    _paragraph(document, "{%p for name in organizers %}", space_after=0)
    _paragraph(document, "{{ name }}", bold=True, align=center, caps=True, space_after=0)
    _paragraph(document, "{%p endfor %}", space_after=0)
    _paragraph(document, "", space_after=6)
    heading = _paragraph(document, "{{ heading }}", bold=True, align=center, space_after=0)
    heading.runs[0].font.size = Pt(15)
    _paragraph(document, "{{ kind_line }}", align=center, space_after=0)
    _paragraph(document, "«{{ title }}»", bold=True, align=center, space_after=12)

    dateline = document.add_table(rows=1, cols=2)
    dateline.alignment = WD_TABLE_ALIGNMENT.CENTER
    dateline.cell(0, 0).paragraphs[0].add_run("{{ date }}")
    right = dateline.cell(0, 1).paragraphs[0]
    right.add_run("{{ L.number }} {{ number }}")
    right.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(document, "", space_after=6)

    _labelled(document, "{{ L.place }}:", "{{ place }}")
    _paragraph(document, "{%p if online_url %}", space_after=0)
    _labelled(document, "{{ L.online }}:", "{{ online_url }}")
    _paragraph(document, "{%p endif %}", space_after=0)
    _labelled(document, "{{ L.chair }}:", "{{ chair }}")
    _paragraph(document, "{%p if secretary %}", space_after=0)
    _labelled(document, "{{ L.secretary }}:", "{{ secretary }}")
    _paragraph(document, "{%p endif %}", space_after=0)
    _labelled(document, "{{ L.attendees }}:", "{{ attendees }}")
    _paragraph(document, "{%p if sectors %}", space_after=0)
    _paragraph(document, "{{ L.by_sector }} ({{ L.total }} {{ total }}):", align=justify)
    _paragraph(document, "{%p for s in sectors %}", space_after=0)
    _paragraph(document, "– {{ s.label }} — {{ s.count }};", indent=True, space_after=0)
    _paragraph(document, "{%p endfor %}", space_after=0)
    _paragraph(document, "{%p endif %}", space_after=0)

    agenda = _paragraph(document, "{{ L.agenda }}:", bold=True, align=center, space_after=6)
    agenda.paragraph_format.space_before = Pt(12)
    _paragraph(document, "{%p for a in agenda %}", space_after=0)
    _paragraph(document, "{{ loop.index }}. {{ a }}", indent=True, align=justify)
    _paragraph(document, "{%p endfor %}", space_after=0)

    _paragraph(document, "{%p for item in items %}", space_after=0)
    title = _paragraph(document, "{{ item.number }}. {{ item.title }}", bold=True, align=justify)
    title.paragraph_format.space_before = Pt(10)
    title.paragraph_format.keep_with_next = True
    _paragraph(document, "{%p if item.heard %}", space_after=0)
    _labelled(document, "{{ L.heard }}:", "{{ item.heard }}", indent=True)
    _paragraph(document, "{%p endif %}", space_after=0)
    _paragraph(document, "{%p if item.spoke %}", space_after=0)
    _labelled(document, "{{ L.spoke }}:", "{{ item.spoke }}", indent=True)
    _paragraph(document, "{%p endif %}", space_after=0)
    _labelled(document, "{{ L.decided }}:", "{{ item.decided }}", indent=True)
    _paragraph(document, "{%p endfor %}", space_after=0)

    _paragraph(document, "{%p if recommendations %}", space_after=0)
    caption = _paragraph(document, "{{ L.recommendations }}", bold=True, align=center, space_after=6)
    caption.paragraph_format.space_before = Pt(12)
    table = document.add_table(rows=3, cols=4)
    _borders(table)
    widths = (Cm(1.0), Cm(8.0), Cm(4.5), Cm(3.0))
    for column, width in enumerate(widths):
        for row in table.rows:
            row.cells[column].width = width
    for column, text in enumerate(("{{ L.col_number }}", "{{ L.col_text }}", "{{ L.col_addressee }}",
                                   "{{ L.col_deadline }}")):
        cell = table.cell(0, column).paragraphs[0]
        cell.add_run(text).bold = True
        cell.alignment = center
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))
    table.cell(1, 0).paragraphs[0].add_run("{%tr for r in recommendations %}")
    for column, text in enumerate(("{{ r.number }}", "{{ r.text }}", "{{ r.addressees }}", "{{ r.deadline }}")):
        table.cell(2, column).paragraphs[0].add_run(text)
    table.cell(2, 0).paragraphs[0].alignment = center
    table.cell(2, 3).paragraphs[0].alignment = center
    # The closing tag needs a row of its own after the repeated one.
    closing = table.add_row()
    closing.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(11)
    _paragraph(document, "{%p endif %}", space_after=0)

    _paragraph(document, "", space_after=18)
    signatures = document.add_table(rows=2, cols=3)
    for row, (role, name) in enumerate((("{{ L.chair }}", "{{ chair }}"), ("{{ L.secretary }}", "{{ secretary }}"))):
        signatures.cell(row, 0).paragraphs[0].add_run(role).bold = True
        signatures.cell(row, 1).paragraphs[0].add_run("____________________")
        signatures.cell(row, 2).paragraphs[0].add_run(name)
        signatures.cell(row, 2).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for cell in signatures.rows[row].cells:
            cell.paragraphs[0].paragraph_format.space_after = Pt(18)

    _paragraph(document, "{%p if version_line %}", space_after=0)
    meta = _paragraph(document, "{{ version_line }}{% if correction %}. {{ correction }}{% endif %}")
    meta.runs[0].font.size = Pt(10)
    _paragraph(document, "{%p endif %}", space_after=0)
    _paragraph(document, "{%p if published %}", space_after=0)
    _paragraph(document, "{{ published }}").runs[0].font.size = Pt(10)
    _paragraph(document, "{%p endif %}", space_after=0)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = footer.add_run("{{ L.footer }} · {{ L.page }} ")
    run.font.size = Pt(9)
    for instruction, glue in (("PAGE", " {{ L.of }} "), ("NUMPAGES", "")):
        field = footer.add_run()
        field.font.size = Pt(9)
        _field(field, instruction)
        if glue:
            footer.add_run(glue).font.size = Pt(9)
    document.save(str(target))


if __name__ == "__main__":
    build(Path(__file__).with_name("protocol.docx"))
