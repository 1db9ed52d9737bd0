"""Languages of the web app: Babel catalogs compiled in memory at start-up, the request's language, formats.

Messages are written in English in the code and templates (`_("...")`) and translated in
web/translations/{ru,kk,en}/LC_MESSAGES/messages.po. Russian is the default language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

log = logging.getLogger("ashyq.gateway.i18n")

LANGUAGES = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
ALMATY = ZoneInfo("Asia/Almaty")

_catalogs: dict[str, NullTranslations] = {}
_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def load_catalogs(translations_dir: Path) -> dict[str, NullTranslations]:
    """Compile every messages.po to an in-memory catalog (no .mo files to build or keep)."""
    catalogs: dict[str, NullTranslations] = {}
    for language in LANGUAGES:
        po = translations_dir / language / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            log.warning("no catalog for %s at %s: messages stay in English", language, po)
            catalogs[language] = NullTranslations()
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = BytesIO()
        write_mo(buffer, catalog)  # fuzzy entries are left out, as gettext would
        buffer.seek(0)
        catalogs[language] = Translations(buffer)
    _catalogs.clear()
    _catalogs.update(catalogs)
    return catalogs


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _language.get()


def _translations() -> NullTranslations:
    return _catalogs.get(current_language()) or NullTranslations()


def gettext(message: str, **variables: Any) -> str:
    text = _translations().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = _translations().ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Jinja's newstyle gettext wraps these and escapes the variables it formats in.
def template_gettext(message: str) -> str:
    return _translations().gettext(message)


def template_ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


def pick_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= first, then the cookie a previous choice left, then the browser's Accept-Language; else Russian."""
    for candidate in (query, cookie):
        if candidate and candidate.lower() in LANGUAGES:
            return candidate.lower()
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary == "kz":  # a common mistake for Kazakh
            primary = "kk"
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


# --- formats (Babel, in the current language; times in Asia/Almaty) --------------------------------

def _locale() -> Locale:
    return Locale.parse(current_language())


def format_date(value: date | datetime | None, form: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ALMATY).date()
    return babel_format_date(value, format=form, locale=_locale())


def format_datetime(value: datetime | None, form: str = "medium") -> str:
    """Date and time in Kazakhstan's time zone, e.g. «14 октября 2025 г., 10:00»."""
    if value is None:
        return ""
    local = value.astimezone(ALMATY)
    if form == "medium":
        return f"{babel_format_date(local.date(), format='long', locale=_locale())}, {local:%H:%M}"
    return babel_format_datetime(local, format=form, tzinfo=ALMATY, locale=_locale())


def format_time(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(ALMATY):%H:%M}"


def format_number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value, locale=_locale())


def pick_name(names: Mapping[str, str | None] | Any, fallback: str = "") -> str:
    """A multilingual name in the current language, falling back to Russian."""
    if names is None:
        return fallback
    data = names if isinstance(names, Mapping) else names.model_dump()
    return data.get(current_language()) or data.get("ru") or fallback
