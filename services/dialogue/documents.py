"""Protocols as documents: DOCX from an admin-replaceable Word template (docxtpl), PDF from HTML (WeasyPrint).

Both are filled from one context: the protocol version, the session, its agenda (for the speakers) and the
session's recommendations with their addressee bodies, whose names come from the registry in one batch call.
"""

from __future__ import annotations

import functools
import io
import logging
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from services.common.db import KAZAKHSTAN, AsyncSession
from services.contracts.orgs import OrgRead
from services.dialogue import sessions
from services.dialogue.errors import ProtocolNotFound
from services.dialogue.models import DialogueSession, Protocol, Recommendation, RecommendationAddressee
from services.dialogue.orgs_client import OrgsClient
from services.dialogue.settings import TEMPLATES
from services.dialogue.wording import KIND, PROTOCOL, SECTORS, long_date

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger("ashyq.dialogue.documents")

KAZAKH_LETTERS = "ӘҒҚҢӨҰҮҺІәғқңөұүһі"
SECTOR_ORDER = ("state", "civil_society", "expert", "business", "media", "international")

# Serif faces for the PDF, best first: each is used only if its files exist and cover every Kazakh letter
# (Debian's fonts-liberation 1.x lacks them; fonts-liberation2 and fonts-dejavu-core have them).
FONT_CANDIDATES = [
    ("Liberation Serif", "/usr/share/fonts/truetype/liberation2/LiberationSerif-{}.ttf",
     {"normal": "Regular", "bold": "Bold", "italic": "Italic", "bold-italic": "BoldItalic"}),
    ("Liberation Serif", "/usr/share/fonts/truetype/liberation/LiberationSerif-{}.ttf",
     {"normal": "Regular", "bold": "Bold", "italic": "Italic", "bold-italic": "BoldItalic"}),
    ("DejaVu Serif", "/usr/share/fonts/truetype/dejavu/DejaVuSerif{}.ttf",
     {"normal": "", "bold": "-Bold", "italic": "-Italic", "bold-italic": "-BoldItalic"}),
]


def pick_language(requested: str | None, accepted: str) -> str:
    if requested in ("ru", "kk"):
        return requested
    return accepted if accepted in ("ru", "kk") else "ru"


# --- what the document says ------------------------------------------------------------------------

def _org_name(org: OrgRead | None, org_id: int, language: str) -> str:
    if org is None:
        return f"#{org_id}"
    return (org.names.kk if language == "kk" else None) or org.names.ru


def _speaker(entry: dict[str, Any], orgs: dict[int, OrgRead], language: str) -> str:
    name = entry.get("name") or ""
    where = entry.get("affiliation")
    if entry.get("org_id") in orgs:
        where = _org_name(orgs[entry["org_id"]], entry["org_id"], language)
    return f"{name} ({where})" if where and name else name or where or ""


def _title(s: DialogueSession, language: str) -> str:
    return (s.title_kk if language == "kk" else None) or s.title_ru


async def pick_protocol(db: AsyncSession, s: DialogueSession, version: int | None, *, editor: bool) -> Protocol:
    """The newest published version; `version` picks another (drafts only for editors). An editor asking for
    nothing before anything is published gets the draft, to proofread it."""
    versions = await sessions.protocol_versions(db, s.id or 0)
    if version is not None:
        for p in versions:
            if p.number_version == version and (p.status == "published" or editor):
                return p
        raise ProtocolNotFound(f"Session {s.id} has no protocol version {version}.")
    published = [p for p in versions if p.status == "published"]
    if published:
        return published[-1]
    if editor and versions:
        return versions[-1]
    raise ProtocolNotFound("This session has no published protocol yet.")


async def protocol_context(db: AsyncSession, orgs: OrgsClient, s: DialogueSession, p: Protocol,
                           language: str) -> dict[str, Any]:
    labels = PROTOCOL[language]
    agenda = await sessions.agenda_of(db, s.id or 0)
    speakers_by_title: dict[str, list[dict[str, Any]]] = {}
    for item in agenda:
        speakers_by_title.setdefault(item.title, list(item.speakers or []))
    recs = list((await db.exec(select(Recommendation).where(
        col(Recommendation.session_id) == s.id, col(Recommendation.status) != "draft",
        col(Recommendation.escalated_from_id).is_(None))
        .order_by(col(Recommendation.id)))).scalars())
    addressees: dict[int, list[int]] = defaultdict(list)
    if recs:
        rows = await db.exec(select(RecommendationAddressee).where(
            col(RecommendationAddressee.recommendation_id).in_([r.id for r in recs]))
            .order_by(col(RecommendationAddressee.org_id)))
        for a in rows.scalars():
            addressees[a.recommendation_id].append(a.org_id)
    speaker_orgs = [e["org_id"] for item in agenda for e in item.speakers or [] if e.get("org_id")]
    wanted = [*(s.organizer_ids or []), *(o for ids in addressees.values() for o in ids), *speaker_orgs]
    found, _missing = await orgs.orgs(wanted)  # one batch call for every body the document names

    counts = p.attendance or {}
    sectors = [{"label": SECTORS[language][k], "count": counts.get(k, 0)} for k in SECTOR_ORDER if counts.get(k)]
    items = []
    for n, recorded in enumerate(p.items or [], start=1):
        speakers = [_speaker(e, found, language) for e in speakers_by_title.get(recorded.get("title", ""), [])]
        heard = recorded.get("heard") or ""
        if not heard and speakers:  # no summary recorded: the speakers are who was heard
            heard, speakers = "; ".join(speakers) + ".", []
        items.append({"number": n, "title": recorded.get("title", ""), "heard": heard,
                      "spoke": "; ".join(speakers) + "." if speakers else "",
                      "decided": recorded.get("decided") or labels["noted"]})
    recommendations = [{
        "number": n, "text": r.text,
        "addressees": "; ".join(_org_name(found.get(o), o, language) for o in addressees.get(r.id or 0, [])),
        "deadline": f"{r.response_due_on:%d.%m.%Y}" if r.response_due_on else "—",  # tables write dates short
    } for n, r in enumerate(recs, start=1)]
    is_draft = p.status != "published"
    published_on = p.published_at.astimezone(KAZAKHSTAN).date() if p.published_at else None
    return {
        "lang": language, "L": labels, "heading": labels["heading"], "kind_line": KIND[language].get(s.kind, ""),
        "title": _title(s, language), "number": p.number or "—", "date": long_date(p.held_on, language),
        "place": p.place or s.venue or "", "online_url": s.online_url if s.format != "offline" else "",
        "organizers": [_org_name(found.get(o), o, language) for o in s.organizer_ids or []],
        "chair": p.chair or "", "secretary": p.secretary or "", "attendees": p.attendees or "",
        "sectors": sectors, "total": counts.get("total", 0),
        "agenda": [i["title"] for i in items], "items": items, "recommendations": recommendations,
        "is_draft": is_draft, "version": p.number_version,
        "version_line": labels["version"].format(version=p.number_version) if p.number_version > 1 else "",
        "correction": labels["correction"].format(reason=p.correction_reason) if p.correction_reason else "",
        "published": labels["published"].format(date=long_date(published_on, language)) if published_on else "",
        "session_id": s.id,
    }


# --- DOCX ----------------------------------------------------------------------------------------------

def render_docx(template: Path, context: dict[str, Any]) -> bytes:
    """Fill the Word template. It is trusted (an admin's file) but rendered sandboxed and with every value
    escaped, so a recorded text can never break the document's XML."""
    from docxtpl import DocxTemplate
    from jinja2.sandbox import SandboxedEnvironment

    document = DocxTemplate(str(template))
    document.render(context, jinja_env=SandboxedEnvironment(autoescape=True))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------------

@functools.cache
def font_faces() -> tuple[str, tuple[tuple[str, str, str, str], ...]]:
    """(family, ((weight, style, file, …), …)) of the first serif face that covers every Kazakh letter."""
    from fontTools.ttLib import TTFont

    for family, pattern, parts in FONT_CANDIDATES:
        files = {key: pattern.format(part) for key, part in parts.items()}
        if not all(Path(f).is_file() for f in files.values()):
            continue
        if all(all(ord(c) in TTFont(f, lazy=True).getBestCmap() for c in KAZAKH_LETTERS) for f in files.values()):
            faces = tuple(("bold" if "bold" in key else "normal", "italic" if "italic" in key else "normal",
                           Path(f).as_uri(), key) for key, f in files.items())
            return family, faces
    log.warning("no installed serif font covers every Kazakh letter; PDF protocols fall back to system fonts")
    return "serif", ()


@functools.cache
def _html() -> Environment:
    """The protocol's HTML templates. Like every document library here (jinja2, docxtpl, WeasyPrint, fontTools),
    loaded by the first document asked for rather than when the service starts: most processes never render one."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def render_html(context: dict[str, Any]) -> str:
    family, faces = font_faces()
    html: str = _html().get_template("protocol.html").render(**context, font_family=family, font_faces=faces)
    return html


def render_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    allowed = {uri for _, _, uri, _ in font_faces()[1]}

    class FontsOnly(URLFetcher):  # type: ignore[misc]
        """The document loads nothing but its font files: no network, no other local file."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url not in allowed:
                raise ValueError(f"not loaded: {url[:80]}")
            return super().fetch(url, headers)

    fonts = FontConfiguration()
    html = HTML(string=render_html(context), base_url=TEMPLATES.as_uri() + "/", url_fetcher=FontsOnly())
    pdf: bytes = html.write_pdf(font_config=fonts)
    return pdf


def file_name(s: DialogueSession, p: Protocol, language: str, extension: str) -> str:
    return f"protocol-session{s.id}-v{p.number_version}-{language}.{extension}"

