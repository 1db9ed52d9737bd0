"""Words the dialogue service writes into documents, calendars and e-mail, in Kazakh and Russian."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from services.common.db import KAZAKHSTAN

LANGUAGES = ("ru", "kk")

KK_MONTHS = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
             "қараша", "желтоқсан")


def long_date(value: date | None, language: str) -> str:
    """«14 октября 2025 года» / «2025 жылғы 14 қазан», as official documents write dates."""
    if value is None:
        return "—"
    if language == "kk":
        return f"{value.year} жылғы {value.day} {KK_MONTHS[value.month - 1]}"
    return f"{format_date(value, 'd MMMM y', locale='ru')} года"


def local_time(value: datetime, language: str) -> str:
    local = value.astimezone(KAZAKHSTAN)
    return f"{long_date(local.date(), language)}, {local:%H:%M}"


# The line under ПРОТОКОЛ (Russian: genitive, as the form reads) and under ХАТТАМА (Kazakh: a noun phrase).
KIND = {
    "ru": {"round_table": "заседания круглого стола", "dialogue_platform": "диалоговой площадки",
           "council_meeting": "заседания общественного совета",
           "coordination_council": "заседания координационного совета", "public_hearing": "публичных слушаний",
           "working_group": "заседания рабочей группы", "civic_forum": "гражданского форума",
           "breakout": "секционного заседания", "plenary": "пленарного заседания"},
    "kk": {"round_table": "Дөңгелек үстел", "dialogue_platform": "Диалог алаңы",
           "council_meeting": "Қоғамдық кеңес отырысы", "coordination_council": "Үйлестіру кеңесінің отырысы",
           "public_hearing": "Қоғамдық тыңдау", "working_group": "Жұмыс тобының отырысы",
           "civic_forum": "Азаматтық форум", "breakout": "Секциялық отырыс", "plenary": "Пленарлық отырыс"},
}

SECTORS = {
    "ru": {"state": "государственные органы", "civil_society": "гражданское общество (НПО)",
           "expert": "эксперты и научное сообщество", "business": "бизнес", "media": "СМИ",
           "international": "международные организации"},
    "kk": {"state": "мемлекеттік органдар", "civil_society": "азаматтық қоғам (ҮЕҰ)",
           "expert": "сарапшылар мен ғылыми қауымдастық", "business": "бизнес", "media": "БАҚ",
           "international": "халықаралық ұйымдар"},
}

PROTOCOL = {
    "ru": {
        "heading": "ПРОТОКОЛ", "number": "№", "place": "Место проведения", "online": "Подключение",
        "organizers": "Организаторы", "chair": "Председатель", "secretary": "Секретарь",
        "attendees": "Присутствовали", "by_sector": "в том числе по секторам", "total": "всего",
        "agenda": "ПОВЕСТКА ДНЯ", "heard": "СЛУШАЛИ", "spoke": "ВЫСТУПИЛИ", "decided": "РЕШИЛИ",
        "noted": "Информацию принять к сведению.",
        "recommendations": "РЕКОМЕНДАЦИИ, НАПРАВЛЯЕМЫЕ В ГОСУДАРСТВЕННЫЕ ОРГАНЫ",
        "col_number": "№", "col_text": "Рекомендация", "col_addressee": "Государственный орган (адресат)",
        "col_deadline": "Срок ответа", "draft": "ПРОЕКТ", "version": "Редакция {version}",
        "correction": "Основание исправления: {reason}", "published": "Опубликован {date}",
        "page": "Страница", "of": "из", "signature": "(подпись)",
        "footer": "Ashyq — платформа общественного диалога",
    },
    "kk": {
        "heading": "ХАТТАМА", "number": "№", "place": "Өткізілген орны", "online": "Қосылу сілтемесі",
        "organizers": "Ұйымдастырушылар", "chair": "Төраға", "secretary": "Хатшы",
        "attendees": "Қатысқандар", "by_sector": "оның ішінде секторлар бойынша", "total": "барлығы",
        "agenda": "КҮН ТӘРТІБІ", "heard": "ТЫҢДАЛДЫ", "spoke": "СӨЙЛЕДІ", "decided": "ШЕШТІ",
        "noted": "Ақпарат назарға алынсын.",
        "recommendations": "МЕМЛЕКЕТТІК ОРГАНДАРҒА ЖОЛДАНАТЫН ҰСЫНЫМДАР",
        "col_number": "№", "col_text": "Ұсыным", "col_addressee": "Мемлекеттік орган (адресат)",
        "col_deadline": "Жауап беру мерзімі", "draft": "ЖОБА", "version": "{version}-редакция",
        "correction": "Түзету негізі: {reason}", "published": "Жарияланған күні: {date}",
        "page": "Бет", "of": "/", "signature": "(қолы)",
        "footer": "Ashyq — қоғамдық диалог платформасы",
    },
}
