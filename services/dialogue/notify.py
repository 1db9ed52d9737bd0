"""E-mail notices: who is told what, in Kazakh and Russian, immediately or in a daily digest; and SMTP.

A state body (its public contact e-mail in the registry) is told when a recommendation is sent to it,
reminded before the deadline and told when it is overdue; registry people registered for a session get the
invitation and its changes, with the event attached as an .ics. Each notice is a `notification` row with a
unique key per notice × recipient, so it is mailed once however often its event is fanned out. Addresses
are read from the registry at sending time and are never stored or logged (only registry ids are).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from services.common.db import KAZAKHSTAN, AsyncSession, utcnow
from services.contracts.orgs import OrgRead
from services.dialogue.models import DialogueSession, Notification, NotificationPreference, Recommendation
from services.dialogue.settings import DialogueSettings
from services.dialogue.wording import local_time, long_date

log = logging.getLogger("ashyq.dialogue.mail")

Recipient = tuple[str, int]  # ("org" | "person", registry id)


@dataclass
class Notice:
    """One notice to one recipient, before it is a row."""

    key: str
    kind: str
    recipient: Recipient
    subject: str
    body: str
    calendar: str | None = None
    event_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- wording -------------------------------------------------------------------------------------------

def _org_names(org: OrgRead | None, org_id: int) -> tuple[str, str]:
    if org is None:
        return f"#{org_id}", f"#{org_id}"
    return org.names.kk or org.names.ru, org.names.ru


def _titles(s: DialogueSession | None) -> tuple[str, str]:
    if s is None:
        return "", ""
    return s.title_kk or s.title_ru, s.title_ru


def _link(settings: DialogueSettings, path: str) -> str:
    return settings.public_url.rstrip("/") + path


def _both(kk: str, ru: str) -> str:
    """Kazakh first (the state language), then Russian, in one message."""
    return f"{kk.strip()}\n\n— — —\n\n{ru.strip()}\n"


def recommendation_notice(kind: str, rec: Recommendation, s: DialogueSession | None, org_id: int,
                          org: OrgRead | None, settings: DialogueSettings, *, event_id: int | None,
                          key: str) -> Notice:
    org_kk, org_ru = _org_names(org, org_id)
    title_kk, title_ru = _titles(s)
    due_kk, due_ru = long_date(rec.response_due_on, "kk"), long_date(rec.response_due_on, "ru")
    url = _link(settings, f"/recommendations/{rec.id}")
    session_kk = f"Отырыс: {title_kk}\n" if title_kk else ""
    session_ru = f"Заседание: {title_ru}\n" if title_ru else ""
    if kind == "recommendation.sent":
        subject = f"Ashyq: ұсыным жолданды / направлена рекомендация № {rec.id}"
        kk = (f"Құрметті әріптестер!\n\n«{org_kk}» мекенжайына Ashyq платформасында № {rec.id} ұсыным жолданды.\n\n"
              f"Ұсыным: {rec.text}\n{session_kk}Жауап беру мерзімі: {due_kk}\n\n"
              f"Ұсынымды қарап, жауап беріңіз: {url}")
        ru = (f"Уважаемые коллеги!\n\nВ адрес «{org_ru}» на платформе Ashyq направлена рекомендация № {rec.id}.\n\n"
              f"Рекомендация: {rec.text}\n{session_ru}Срок ответа: {due_ru}\n\n"
              f"Рассмотрите рекомендацию и дайте ответ: {url}")
    elif kind == "recommendation.reminder":
        subject = f"Ashyq: жауап беру мерзімі жақындады / приближается срок ответа на рекомендацию № {rec.id}"
        kk = (f"Құрметті әріптестер!\n\n«{org_kk}» № {rec.id} ұсынымға әлі жауап бермеді. "
              f"Жауап беру мерзімі: {due_kk}.\n\nҰсыным: {rec.text}\n{session_kk}\nЖауап беру: {url}")
        ru = (f"Уважаемые коллеги!\n\n«{org_ru}» ещё не ответил на рекомендацию № {rec.id}. "
              f"Срок ответа: {due_ru}.\n\nРекомендация: {rec.text}\n{session_ru}\nОтветить: {url}")
    else:  # recommendation.overdue
        subject = f"Ashyq: жауап беру мерзімі өтті / просрочен ответ на рекомендацию № {rec.id}"
        kk = (f"Құрметті әріптестер!\n\n№ {rec.id} ұсынымға жауап беру мерзімі ({due_kk}) өтті, "
              f"«{org_kk}» жауабы әлі жоқ. Мерзімі өткен ұсынымдар порталда жария көрсетіледі.\n\n"
              f"Ұсыным: {rec.text}\n{session_kk}\nЖауап беру: {url}")
        ru = (f"Уважаемые коллеги!\n\nСрок ответа на рекомендацию № {rec.id} ({due_ru}) истёк, ответа "
              f"«{org_ru}» нет. Просроченные рекомендации публично видны на портале.\n\n"
              f"Рекомендация: {rec.text}\n{session_ru}\nОтветить: {url}")
    return Notice(key=key, kind=kind, recipient=("org", org_id), subject=subject, body=_both(kk, ru),
                  event_id=event_id)


def session_notice(kind: str, s: DialogueSession, person_id: int, settings: DialogueSettings, *,
                   event_id: int | None, key: str, calendar: str | None, reason: str | None = None) -> Notice:
    title_kk, title_ru = _titles(s)
    when_kk, when_ru = local_time(s.starts_at, "kk"), local_time(s.starts_at, "ru")
    where = s.venue or ""
    online = f"\n{s.online_url}" if s.online_url and s.format != "offline" else ""
    url = _link(settings, f"/sessions/{s.id}")
    if kind == "session.invitation":
        subject = f"Ashyq: шақыру / приглашение — {title_ru}"
        kk = (f"Құрметті қатысушы!\n\nСіз «{title_kk}» отырысына тіркелдіңіз.\n\nУақыты: {when_kk} (Астана уақыты)\n"
              f"Орны: {where}{online}\n\nТолығырақ: {url}\nКүнтізбеге қосу үшін тіркелген файлды ашыңыз.")
        ru = (f"Уважаемый участник!\n\nВы зарегистрированы на заседание «{title_ru}».\n\nВремя: {when_ru} "
              f"(время Астаны)\nМесто: {where}{online}\n\nПодробнее: {url}\n"
              f"Чтобы добавить в календарь, откройте приложенный файл.")
    elif kind == "session.cancelled":
        subject = f"Ashyq: отырыс болдырылмады / заседание отменено — {title_ru}"
        why_kk = f"\nСебебі: {reason}" if reason else ""
        why_ru = f"\nПричина: {reason}" if reason else ""
        kk = f"Құрметті қатысушы!\n\n«{title_kk}» отырысы ({when_kk}) болдырылмады.{why_kk}\n\n{url}"
        ru = f"Уважаемый участник!\n\nЗаседание «{title_ru}» ({when_ru}) отменено.{why_ru}\n\n{url}"
    else:  # session.changed
        subject = f"Ashyq: отырыс өзгерді / изменения в заседании — {title_ru}"
        kk = (f"Құрметті қатысушы!\n\n«{title_kk}» отырысының мәліметтері өзгерді.\n\nУақыты: {when_kk} "
              f"(Астана уақыты)\nОрны: {where}{online}\n\n{url}")
        ru = (f"Уважаемый участник!\n\nВ заседании «{title_ru}» произошли изменения.\n\nВремя: {when_ru} "
              f"(время Астаны)\nМесто: {where}{online}\n\n{url}")
    return Notice(key=key, kind=kind, recipient=("person", person_id), subject=subject, body=_both(kk, ru),
                  calendar=calendar, event_id=event_id)


def digest_message(notices: Sequence[Notification], today: date) -> tuple[str, str]:
    subject = f"Ashyq: күнделікті жинақ / ежедневная сводка ({long_date(today, 'ru')}): {len(notices)}"
    parts = [f"{n}. {x.subject}\n\n{x.body}" for n, x in enumerate(notices, start=1)]
    intro = (f"Ashyq платформасының хабарламалары, {long_date(today, 'kk')}.\n"
             f"Уведомления платформы Ashyq, {long_date(today, 'ru')}.\n\n")
    return subject, intro + "\n\n==========\n\n".join(parts)


# --- preferences and rows --------------------------------------------------------------------------------

def next_digest_at(now: datetime, hour: int) -> datetime:
    local = now.astimezone(KAZAKHSTAN)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at += timedelta(days=1)
    return at


async def preferences(session: AsyncSession, recipients: Sequence[Recipient]) -> dict[Recipient, str]:
    if not recipients:
        return {}
    key = tuple_(col(NotificationPreference.recipient_kind), col(NotificationPreference.recipient_id))
    rows = await session.exec(select(NotificationPreference).where(key.in_(list(set(recipients)))))
    return {(p.recipient_kind, p.recipient_id): p.delivery for p in rows.scalars()}


async def record(session: AsyncSession, notices: Sequence[Notice], settings: DialogueSettings,
                 now: datetime | None = None) -> int:
    """Insert the notices that are new (a notice already recorded for its recipient is left alone)."""
    if not notices:
        return 0
    now = now or utcnow()
    chosen = await preferences(session, [n.recipient for n in notices])
    digest_at = next_digest_at(now, settings.digest_hour)
    rows = []
    for n in notices:
        delivery = chosen.get(n.recipient, "immediate")
        rows.append({
            "notice_key": n.key, "kind": n.kind, "event_id": n.event_id, "recipient_kind": n.recipient[0],
            "recipient_id": n.recipient[1], "delivery": delivery, "subject": n.subject[:500], "body": n.body,
            "calendar": n.calendar, "status": "pending", "attempts": 0,
            "send_after": digest_at if delivery == "digest" else now, "created_at": now,
        })
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(Notification).values(rows).on_conflict_do_nothing(
        index_elements=["notice_key", "recipient_kind", "recipient_id"])
    result = await session.exec(statement)
    return int(result.rowcount or 0)


# --- SMTP ------------------------------------------------------------------------------------------------

@dataclass
class Outgoing:
    ids: list[int]
    to: str
    subject: str
    body: str
    message_id: str
    calendar: str | None = None


class PermanentFailure(Exception):
    """The server refused the message for good (e.g. no such mailbox): retrying will not help."""


def build_message(settings: DialogueSettings, mail: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    if mail.calendar:
        message.add_attachment(mail.calendar.encode(), maintype="text", subtype="calendar",
                               filename="session.ics", params={"method": "PUBLISH"})
    return message


def send_all(settings: DialogueSettings, mails: Sequence[Outgoing]) -> list[Exception | None]:
    """Send over one SMTP connection (blocking: run it in a thread). One result per mail, in order."""
    results: list[Exception | None] = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            for mail in mails:
                try:
                    refused = smtp.send_message(build_message(settings, mail))
                    results.append(PermanentFailure("recipient refused") if refused else None)
                except smtplib.SMTPRecipientsRefused:
                    results.append(PermanentFailure("recipient refused"))
                except smtplib.SMTPResponseException as exc:
                    failure: Exception = (PermanentFailure(f"SMTP {exc.smtp_code}") if 500 <= exc.smtp_code < 600
                                          else RuntimeError(f"SMTP {exc.smtp_code}"))
                    results.append(failure)
    except (OSError, smtplib.SMTPException) as exc:
        # Only the kind of error: an SMTP server's text can quote the addresses, which are never logged or kept.
        failure = RuntimeError(f"SMTP unavailable: {type(exc).__name__}")
        results += [failure] * (len(mails) - len(results))
    return results
