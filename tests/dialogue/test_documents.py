"""Protocols as documents: the demo's protocols as PDF in Kazakh and Russian (every Kazakh letter present, fonts
embedded, pages rendered to PNG), as DOCX from the admin's Word template, and drafts kept from the public."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from docx import Document

from services.dialogue.app import create_app
from tests.conftest import dialogue_settings
from tests.dialogue.helpers import (
    as_coordinator,
    create_session,
    move_session,
    problem,
    record_on_item,
)
from tests.dialogue.test_demo import demo_ids  # noqa: F401 - the demo data, loaded as test_demo loads it

KAZAKH = ["Әә", "Ғғ", "Ққ", "Ңң", "Өө", "Ұұ", "Үү", "Һһ", "Іі"]


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: install Debian's poppler-utils (.ci/run does)")
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "protocol.pdf"
    source.write_bytes(pdf)
    text = subprocess.run([poppler("pdftotext"), str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())  # words, whatever the lines they were set on


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    lines = subprocess.run([poppler("pdffonts"), str(source)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    return lines


def to_png(pdf: bytes, name: str, tmp_path: Path) -> list[Path]:
    """Every page as a PNG (kept under ASHYQ_PROTOCOL_PNG_DIR when set, to be looked at)."""
    folder = Path(os.environ.get("ASHYQ_PROTOCOL_PNG_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run([poppler("pdftoppm"), "-r", "110", "-png", str(source), str(folder / name)], check=True)
    pages = sorted(folder.glob(f"{name}-*.png"))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)
    return pages


async def publish_kazakh_correction(dialogue, session_id: int) -> None:
    """The chancellery adds the secretary to the protocol: a correction, published as version 2."""
    r = await dialogue.post(f"/v1/sessions/{session_id}/protocol/corrections",
                            json={"reason": "Хаттамаға хатшының аты-жөні қосылды"}, headers=as_coordinator())
    assert r.status_code == 201, r.text
    etag = r.headers["ETag"]
    r = await dialogue.patch(f"/v1/sessions/{session_id}/protocol", json={"secretary": "Шаһмарданова Ә. Ғ."},
                             headers={**as_coordinator(), "If-Match": etag})
    assert r.status_code == 200, r.text
    r = await dialogue.post(f"/v1/sessions/{session_id}/protocol/publish", headers=as_coordinator())
    assert r.status_code == 200, r.text


class TestProtocolPdf:
    async def test_kazakh_protocol_has_every_kazakh_letter_in_embedded_fonts(self, dialogue, demo_ids, tmp_path):  # noqa: F811
        session_id = demo_ids["session:round_table"]
        await publish_kazakh_correction(dialogue, session_id)
        r = await dialogue.get(f"/v1/sessions/{session_id}/protocol.pdf", params={"lang": "kk"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"] == f'attachment; filename="protocol-session{session_id}-v2-kk.pdf"'
        text = pdf_text(r.content, tmp_path)
        missing = [pair for pair in KAZAKH if not any(letter in text for letter in pair)]
        assert missing == []
        for words in ("ХАТТАМА", "КҮН ТӘРТІБІ", "ТЫҢДАЛДЫ", "СӨЙЛЕДІ", "ШЕШТІ", "Төраға", "Хатшы",
                      "МЕМЛЕКЕТТІК ОРГАНДАРҒА ЖОЛДАНАТЫН ҰСЫНЫМДАР", "Шығыс Қазақстан облысының әкімдігі",
                      "2025 жылғы 14 қазан", "Шаһмарданова Ә. Ғ.", "2-редакция"):
            assert words in text, words
        fonts = pdf_fonts(r.content, tmp_path)
        assert fonts and all(" yes " in line for line in fonts)  # every font embedded
        assert all("Protocol-Serif" in line for line in fonts)  # no glyph fell back to another face
        to_png(r.content, "protocol-kk", tmp_path)

    async def test_russian_protocol_reads_in_the_customary_form(self, dialogue, demo_ids, tmp_path):  # noqa: F811
        session_id = demo_ids["session:coordination_council"]
        r = await dialogue.get(f"/v1/sessions/{session_id}/protocol.pdf", params={"lang": "ru"})
        assert r.status_code == 200, r.text
        text = pdf_text(r.content, tmp_path)
        assert "№1" in text.replace("№ ", "№")  # pdftotext may or may not keep the space after №
        for words in ("ПРОТОКОЛ", "заседания координационного совета", "15 марта 2022 года",
                      "Председатель: Умаров А. К.", "ПОВЕСТКА ДНЯ", "СЛУШАЛИ:", "ВЫСТУПИЛИ:", "РЕШИЛИ:",
                      "государственные органы — 35", "гражданское общество (НПО) — 46",
                      "РЕКОМЕНДАЦИИ, НАПРАВЛЯЕМЫЕ В ГОСУДАРСТВЕННЫЕ ОРГАНЫ",
                      "Министерство информации и общественного развития Республики Казахстан",
                      "17.04.2022", "Опубликован 18 марта 2022 года"):
            assert words in text, words
        assert "ПРОЕКТ" not in text
        to_png(r.content, "protocol-ru", tmp_path)

    async def test_language_follows_accept_language(self, dialogue, demo_ids, tmp_path):  # noqa: F811
        session_id = demo_ids["session:coordination_council"]
        r = await dialogue.get(f"/v1/sessions/{session_id}/protocol.pdf", headers={"Accept-Language": "kk"})
        assert "ХАТТАМА" in pdf_text(r.content, tmp_path)


class TestProtocolDocx:
    async def test_docx_in_kazakh_from_the_word_template(self, dialogue, demo_ids):  # noqa: F811
        session_id = demo_ids["session:coordination_council"]
        r = await dialogue.get(f"/v1/sessions/{session_id}/protocol.docx", params={"lang": "kk"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
        document = Document(io.BytesIO(r.content))
        text = "\n".join(p.text for p in document.paragraphs)
        for words in ("ХАТТАМА", "Үйлестіру кеңесінің отырысы", "КҮН ТӘРТІБІ", "ТЫҢДАЛДЫ:", "ШЕШТІ:",
                      "Ақпарат назарға алынсын.", "Төраға:"):
            assert words in text, words
        assert "{{" not in text and "{%" not in text
        recommendations = document.tables[1]
        rows = [[c.text for c in row.cells] for row in recommendations.rows]
        assert rows[0] == ["№", "Ұсыным", "Мемлекеттік орган (адресат)", "Жауап беру мерзімі"]
        assert len(rows) == 3 and rows[1][0] == "1"
        assert rows[1][2] == "Қазақстан Республикасының Ақпарат және қоғамдық даму министрлігі"
        assert rows[1][3] == "17.04.2022"

    async def test_an_admin_template_replaces_the_layout(self, dialogue, demo_ids, dialogue_database_url, orgs_app,  # noqa: F811
                                                         tmp_path):
        template = Document()
        template.add_paragraph("Своя форма: {{ heading }} № {{ number }} — {{ title }}")
        template.add_paragraph("{%p for r in recommendations %}")
        template.add_paragraph("{{ r.number }}) {{ r.addressees }} до {{ r.deadline }}")
        template.add_paragraph("{%p endfor %}")
        path = tmp_path / "our-protocol.docx"
        template.save(str(path))
        settings = dialogue_settings(dialogue_database_url).model_copy(update={"protocol_docx_template": path})
        app = create_app(settings, orgs_transport=httpx.ASGITransport(app=orgs_app))
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d") as client):
            r = await client.get(f"/v1/sessions/{demo_ids['session:round_table']}/protocol.docx")
        lines = [p.text for p in Document(io.BytesIO(r.content)).paragraphs]
        assert lines[0].startswith("Своя форма: ПРОТОКОЛ № 1 — Поиск системного взаимодействия")
        assert lines[1] == "1) Акимат Восточно-Казахстанской области до 16.11.2025"


class TestWhoSeesWhat:
    async def test_a_draft_protocol_is_for_editors_only(self, dialogue, tmp_path):
        session = await create_session(dialogue, "Рабочая группа", kind="working_group", agenda=("Отчёт",),
                                       status="concluded")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={"number": "РГ-1"},
                                headers=as_coordinator())
        assert r.status_code == 201, r.text
        problem(await dialogue.get(f"/v1/sessions/{session['id']}/protocol.pdf"), 404)
        problem(await dialogue.get(f"/v1/sessions/{session['id']}/protocol.docx", params={"version": 1}), 404)
        draft = await dialogue.get(f"/v1/sessions/{session['id']}/protocol.pdf", headers=as_coordinator())
        assert draft.status_code == 200
        assert draft.headers["cache-control"] == "private, no-store"
        assert "ПРОЕКТ" in pdf_text(draft.content, tmp_path)

    async def test_unknown_versions_and_languages_are_refused(self, dialogue, demo_ids):  # noqa: F811
        session_id = demo_ids["session:round_table"]
        problem(await dialogue.get(f"/v1/sessions/{session_id}/protocol.pdf", params={"version": 9}), 404)
        problem(await dialogue.get(f"/v1/sessions/{session_id}/protocol.pdf", params={"lang": "kz"}), 422)

    async def test_recorded_text_cannot_break_the_documents(self, dialogue, tmp_path):
        session = await create_session(dialogue, "Слушания <b>&</b>", kind="public_hearing", agenda=("Пункт",),
                                       status="in_progress")
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda")).json()
        await record_on_item(dialogue, session["id"], agenda[0]["id"], heard="A < B & {{ 7*7 }} </w:t>",
                             decided="Принять <script>")
        await move_session(dialogue, session["id"], "concluded")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={"number": "1", "chair": "Иванов И."},
                                headers=as_coordinator())
        assert r.status_code == 201
        assert (await dialogue.post(f"/v1/sessions/{session['id']}/protocol/publish", headers=as_coordinator())
                ).status_code == 200
        docx = await dialogue.get(f"/v1/sessions/{session['id']}/protocol.docx")
        text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
        assert "A < B & {{ 7*7 }} </w:t>" in text and "49" not in text
        pdf = await dialogue.get(f"/v1/sessions/{session['id']}/protocol.pdf")
        assert "A < B & {{ 7*7 }}" in pdf_text(pdf.content, tmp_path)
