"""The dialogue service's demo data: the four events of the seed articles, run through the real rules.

Each event goes through the same functions the API calls (so every check, status change and outbox
event happens as it would live), with the registry asked over HTTP through `OrgsClient`. Organization
and person ids come from the registry's demo (`services.orgs.demo`), by their stable keys.

Dates: seed 003 gives 26 July 2022. The others give none; the round table and the forum are placed
in 2025 (the forum marked the Constitution's 30th anniversary, 30 August 2025; the round-table
article's sidebar is of mid-October 2025) and the coordination council in 2022 (the fund «Қазақстан
халқына» it discusses was created that year). Those dates are marked `approximate` in the session
description.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlmodel import col

from services.common.db import AsyncSession
from services.contracts import dialogue as d
from services.contracts.auth import Actor, Role
from services.contracts.orgs import Names, Sector
from services.dialogue import plans, recommendations, sessions
from services.dialogue.models import DialogueSession, StatusHistory
from services.dialogue.orgs_client import OrgsClient

ALMATY = timezone(timedelta(hours=5))
COORDINATOR = Actor(account_id=None, roles=[Role.coordinator], service="demo")


class NotEmpty(Exception):
    """The dialogue database already holds sessions."""


@dataclass
class DemoResult:
    sessions: int = 0
    recommendations: int = 0
    plans: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def at(y: int, m: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, day, hour, minute, tzinfo=ALMATY)


class Loader:
    def __init__(self, session: AsyncSession, orgs: OrgsClient, ids: dict[str, int]) -> None:
        self.db, self.orgs, self.ids = session, orgs, ids
        self.result = DemoResult()

    def org(self, key: str) -> int:
        return self.ids[f"org:{key}"]

    def person(self, key: str) -> int:
        return self.ids[f"person:{key}"]

    async def new_session(self, key: str, **fields: object) -> DialogueSession:
        s = await sessions.create_session(self.db, self.orgs, d.SessionCreate.model_validate(fields))
        self.result.sessions += 1
        self.result.ids[f"session:{key}"] = s.id or 0
        return s

    async def agenda(self, s: DialogueSession, items: list[dict[str, object]]) -> list[int]:
        out = []
        for item in items:
            heard, decided = item.pop("heard", None), item.pop("decided", None)
            created = await sessions.add_agenda_item(self.db, self.orgs, s, d.AgendaItemCreate.model_validate(item))
            if heard or decided:
                await sessions.update_agenda_item(self.db, self.orgs, s, created,
                                                  d.AgendaItemUpdate(heard=heard, decided=decided))
            out.append(created.id or 0)
        return out

    async def move(self, s: DialogueSession, *statuses: d.SessionStatus) -> None:
        for status in statuses:
            await sessions.transition_session(self.db, s, status, None)

    async def participant(self, s: DialogueSession, person: str, sector: Sector,
                          role: d.ParticipantRole = d.ParticipantRole.speaker, org: str | None = None) -> None:
        p = await sessions.add_participant(self.db, self.orgs, s, d.ParticipantCreate(
            person_id=self.person(person), org_id=self.org(org) if org else None, sector=sector, role=role))
        await sessions.update_participant(self.db, s, p, d.ParticipantUpdate(checked_in=True))

    async def recommend(self, key: str, s: DialogueSession, text: str, addressees: list[str], *,
                        topics: list[str], item_id: int | None = None, due: date | None = None) -> int:
        rec = await recommendations.create_recommendation(self.db, self.orgs, d.RecommendationCreate(
            text=text, addressee_ids=[self.org(a) for a in addressees], session_id=s.id, agenda_item_id=item_id,
            topics=topics, response_due_on=due), COORDINATOR)
        await recommendations.transition(self.db, rec, d.RecommendationStatus.adopted, None, COORDINATOR,
                                         response_days=30)
        self.result.recommendations += 1
        self.result.ids[f"recommendation:{key}"] = rec.id or 0
        return rec.id or 0

    async def publish(self, s: DialogueSession, **protocol: object) -> None:
        await sessions.start_protocol(self.db, s, d.ProtocolFields.model_validate(protocol))
        versions = await sessions.protocol_versions(self.db, s.id or 0)
        await sessions.publish_protocol(self.db, s, versions[-1])
        sent = await recommendations.send_adopted_of_session(self.db, s.id or 0, COORDINATOR, response_days=30)
        # The rules stamp "now"; the demo's events happened on their own dates, so the record says so.
        published = (s.ends_at or s.starts_at) + timedelta(days=3)
        versions[-1].published_at = published
        for rec in sent:
            rec.adopted_at, rec.sent_at = s.starts_at, published
            rec.response_due_on = published.date() + timedelta(days=30)
            for change in (await self.db.exec(select(StatusHistory).where(
                    col(StatusHistory.recommendation_id) == rec.id))).scalars():
                change.changed_at = published if change.status == "sent" else s.starts_at
        await self.db.flush()


async def round_table(x: Loader) -> None:
    """Seeds 000 and 001: the round table at ВКТУ that presented the Ashyq model."""
    s = await x.new_session(
        "round_table", kind="round_table", format="offline", region_code="631010000",
        venue="ВКТУ им. Д. Серикбаева, Усть-Каменогорск",
        title={"ru": "Поиск системного взаимодействия региональных государственных структур и гражданских институтов",
               "kk": "Өңірлік мемлекеттік құрылымдар мен азаматтық институттардың жүйелі өзара іс-қимылын іздеу",
               "en": "Towards systematic interaction of regional state structures and civic institutions"},
        description="Круглый стол, на котором представлена модель «Ashyq, yntymaqtastyq, kollaborativtik». "
                    "Дата приблизительная (approximate): статьи даты не называют.",
        topics=["социально-демографическая сфера", "общественный диалог", "модель Ashyq"],
        organizer_ids=[x.org("vktu"), x.org("dsr")], starts_at=at(2025, 10, 14), ends_at=at(2025, 10, 14, 13))
    items = await x.agenda(s, [
        {"title": "Стратегические задачи, обозначенные Главой государства на IV Национальном курултае и "
                  "XXXIV сессии Ассамблеи народа Казахстана",
         "speakers": [{"org_id": x.org("senate"), "name": "Представитель Сената Парламента РК"},
                      {"org_id": x.org("akimat_vko"), "name": "Представитель акимата ВКО"},
                      {"org_id": x.org("apa_vko"),
                       "name": "Представитель филиала Академии государственного управления"}]},
        {"title": "Открытость и справедливость как общественный запрос",
         "speakers": [{"person_id": x.person("stolyarova")}],
         "heard": "Социолог Э. Столярова: развитие человеческого капитала возможно только при тесных связях "
                  "гражданских институтов и скоординированных действиях с государственными структурами."},
        {"title": "Модель системного регионального взаимодействия «Ashyq, yntymaqtastyq, kollaborativtik»",
         "speakers": [{"person_id": x.person("rakhmetullina"), "org_id": x.org("vktu")},
                      {"person_id": x.person("aubakirova"), "org_id": x.org("dsr")},
                      {"person_id": x.person("kalashnikova"), "org_id": x.org("enu_ank_department")}],
         "heard": "С. Рахметуллина: принципы модели — открытость, единство, сотрудничество; внедрение научных "
                  "разработок в региональное администрирование с учётом демографической специфики. "
                  "Н. Калашникова: роль кафедр АНК в исследованиях и креативных проектах.",
         "decided": "Рекомендовать модель «Ashyq, yntymaqtastyq, kollaborativtik» для внедрения в качестве пилота."},
    ])
    await x.move(s, d.SessionStatus.scheduled, d.SessionStatus.in_progress)
    await x.participant(s, "rakhmetullina", Sector.expert, d.ParticipantRole.chair, "vktu")
    await x.participant(s, "aubakirova", Sector.expert, org="dsr")
    await x.participant(s, "kalashnikova", Sector.expert, org="enu_ank_department")
    await x.participant(s, "stolyarova", Sector.expert)
    await x.recommend("pilot", s, "Рекомендовать модель системного регионального взаимодействия «Ashyq, "
                      "yntymaqtastyq, kollaborativtik» для внедрения в Восточно-Казахстанской области в качестве "
                      "пилотного проекта.", ["akimat_vko"], topics=["модель Ashyq", "общественный диалог"],
                      item_id=items[2])
    await x.move(s, d.SessionStatus.concluded)
    await x.publish(s, number="1", chair="Рахметуллина С. В.",
                    attendees="Госслужащие, исследователи, члены АНК, студенты")


async def forum(x: Loader) -> None:
    """Seed 002: the civic forum «Голос региона» — breakouts in yurts, then the plenary."""
    forum_session = await x.new_session(
        "forum", kind="civic_forum", format="offline", region_code="630000000",
        venue="Этнодеревня Левобережного музея-заповедника; Колонный зал ВКТУ им. Д. Серикбаева",
        title={"ru": "Гражданский форум «Голос региона: Общественные советы как драйвер перемен»",
               "kk": "«Өңір үні: Қоғамдық кеңестер – өзгерістердің драйвері» азаматтық форумы",
               "en": "Civic forum “Voice of the Region: Public Councils as Drivers of Change”"},
        description="К 30-летию Конституции РК. Более 100 активных жителей региона. Дата приблизительная "
                    "(approximate).",
        topics=["общественные советы", "общественный контроль", "гражданский сектор"],
        organizer_ids=[x.org("akimat_vko"), x.org("civil_alliance")],
        starts_at=at(2025, 8, 27, 9), ends_at=at(2025, 8, 27, 17))
    await x.move(forum_session, d.SessionStatus.scheduled)
    yurts = [("legislation", "Развитие законодательства"), ("ngo", "Развитие НПО"), ("inclusion", "Инклюзия"),
             ("ecology", "Экология"), ("youth", "Молодёжная активность"),
             ("rural", "Устойчивое развитие сельских территорий")]
    for key, topic in yurts:
        b = await x.new_session(
            f"forum_{key}", kind="breakout", format="offline", region_code="630000000", parent_id=forum_session.id,
            venue="Юрта, этнодеревня Левобережного музея-заповедника",
            title={"ru": f"Сессия в юрте: {topic}"}, topics=[topic], organizer_ids=[x.org("akimat_vko")],
            starts_at=at(2025, 8, 27, 10), ends_at=at(2025, 8, 27, 12))
        await x.move(b, d.SessionStatus.scheduled, d.SessionStatus.in_progress, d.SessionStatus.concluded)
    plenary = await x.new_session(
        "forum_plenary", kind="plenary", format="offline", region_code="630000000", parent_id=forum_session.id,
        venue="Колонный зал ВКТУ им. Д. Серикбаева", title={"ru": "Пленарное заседание форума «Голос региона»"},
        organizer_ids=[x.org("akimat_vko")], starts_at=at(2025, 8, 27, 14), ends_at=at(2025, 8, 27, 17))
    items = await x.agenda(plenary, [
        {"title": "Развитие общественных советов и общественного контроля",
         "speakers": [{"person_id": x.person("nurgaliev"), "org_id": x.org("akimat_vko")},
                      {"person_id": x.person("zheksenbay"), "org_id": x.org("senate")},
                      {"person_id": x.person("sultanova"), "org_id": x.org("mki_civil_society_committee")},
                      {"person_id": x.person("nurgazieva"), "org_id": x.org("civil_alliance")}],
         "heard": "Е. Нургалиев: гражданский сектор региона демонстрирует высокую зрелость и готовность к "
                  "конструктивному сотрудничеству с государством.",
         "decided": "Развивать механизмы обратной связи, прозрачности и подотчётности; усилить ресурсную и "
                    "грантовую поддержку НПО и общественных советов."},
        {"title": "Награждение наиболее активных представителей гражданского сектора"},
    ])
    await x.move(plenary, d.SessionStatus.scheduled, d.SessionStatus.in_progress)
    await x.move(forum_session, d.SessionStatus.in_progress)
    await x.participant(plenary, "nurgaliev", Sector.state, d.ParticipantRole.speaker, "akimat_vko")
    await x.participant(plenary, "zheksenbay", Sector.state, d.ParticipantRole.speaker, "senate")
    await x.participant(plenary, "sultanova", Sector.state, d.ParticipantRole.speaker, "mki_civil_society_committee")
    await x.participant(plenary, "nurgazieva", Sector.civil_society, d.ParticipantRole.speaker, "civil_alliance")
    await sessions.set_head_counts(x.db, forum_session, [d.HeadCount(sector=Sector.civil_society, count=100)])
    await x.recommend("forum_feedback", plenary, "Развивать механизмы обратной связи, прозрачности и подотчётности "
                      "государственных органов перед общественными советами области.", ["akimat_vko"],
                      topics=["общественный контроль", "общественные советы"], item_id=items[0])
    await x.recommend("forum_grants", plenary, "Усилить ресурсную и грантовую поддержку НПО и общественных советов.",
                      ["mki_civil_society_committee"], topics=["государственный социальный заказ", "гранты"],
                      item_id=items[0])
    await x.move(plenary, d.SessionStatus.concluded)
    await x.move(forum_session, d.SessionStatus.concluded)
    await x.publish(plenary, number="ГФ-1", chair="Нургалиев Е.",
                    attendees="Более 100 представителей НПО, политических партий, профсоюзов, молодёжных "
                              "организаций и экспертного сообщества")


async def dialogue_platforms(x: Loader) -> None:
    """Seed 003: two dialogue platforms in Дом Дружбы, Nur-Sultan, and the joint plan they set out to draft."""
    common = {"format": "hybrid", "region_code": "710000000", "venue": "Дом Дружбы, г. Нур-Сұлтан",
              "online_url": "https://ashyq.kz/online/2022-07-26", "topics": ["межуровневое взаимодействие",
                                                                              "общественные советы"]}
    first = await x.new_session(
        "platform_1", kind="dialogue_platform", starts_at=at(2022, 7, 26, 10), ends_at=at(2022, 7, 26, 12),
        title={"ru": "Диалоговая площадка: коллаборация ОС г. Нур-Султан с общественными советами "
                     "республиканского уровня",
               "kk": "Диалог алаңы: Нұр-Сұлтан қаласы ҚК мен республикалық деңгейдегі қоғамдық кеңестердің "
                     "ынтымақтастығы"},
        organizer_ids=[x.org("astana_public_council")], **common)
    second = await x.new_session(
        "platform_2", kind="dialogue_platform", starts_at=at(2022, 7, 26, 14), ends_at=at(2022, 7, 26, 16),
        title={"ru": "Диалоговая площадка с ОС в сфере информации и общественного развития"},
        organizer_ids=[x.org("astana_public_council"), x.org("mior_public_council")], **common)
    for s in (first, second):
        await x.agenda(s, [{
            "title": "Оценка необходимости коллаборации ОС г. Нур-Султан с ОС республиканского уровня для решения "
                     "вопросов, выходящих за рамки компетенции МИО",
            "heard": "Местные ОС поднимают общественно значимые вопросы, но решение на местном уровне не всегда "
                     "возможно без изменения макросреды.",
            "decided": "Поддержать межуровневое сотрудничество общественных советов; приступить к выработке Плана "
                       "совместной деятельности."}])
        await x.move(s, d.SessionStatus.scheduled, d.SessionStatus.in_progress, d.SessionStatus.concluded)
    # An issue beyond the local body's competence, escalated to the republican level (the seed's point).
    rec_id = await x.recommend("migration", first, "Выработать меры по проблемам в сфере миграции, выявленным "
                               "общественным советом г. Нур-Султан.", ["akimat_astana"],
                               topics=["миграция", "социальная напряжённость"])
    await x.publish(first, number="ДП-1", chair="Председатель ОС г. Нур-Султан",
                    attendees="Члены ОС г. Нур-Султан и общественных советов республиканского уровня")
    rec = await recommendations.get_recommendation(x.db, rec_id)
    escalated = await recommendations.escalate(x.db, x.orgs, rec, d.Escalation(
        addressee_ids=[x.org("mvd")], reason="Причины лежат вне компетенции местного исполнительного органа: "
                                             "требуются изменения на республиканском уровне."),
        COORDINATOR, response_days=30)
    x.result.ids["recommendation:migration_escalated"] = escalated.id or 0
    escalated.adopted_at = escalated.sent_at = at(2022, 8, 15)
    escalated.response_due_on = date(2022, 9, 14)
    plan = await plans.create_plan(x.db, x.orgs, d.PlanCreate(
        title=Names(ru="План совместной деятельности общественных советов по социально значимым вопросам",
                    kk="Әлеуметтік маңызы бар мәселелер бойынша қоғамдық кеңестердің бірлескен қызмет жоспары"),
        session_ids=[first.id or 0, second.id or 0],
        owner_ids=[x.org("astana_public_council"), x.org("mior_public_council")],
        starts_on=date(2022, 9, 1), ends_on=date(2023, 6, 30)))
    x.result.plans += 1
    x.result.ids["plan:astana"] = plan.id or 0
    items = [
        ("Совместные заседания с заслушиванием отчётов полиции о профилактике правонарушений", "joint_meeting",
         ["astana_police"], ["astana_public_council"]),
        ("Рабочая группа по профилактике наркомании среди молодёжи и безопасности учащихся", "working_group",
         ["akimat_astana"], ["astana_public_council"]),
        ("Мониторинг содержания социальных проектов государственного социального заказа и соответствия "
         "тематики лотов общественным потребностям", "monitoring", ["mior"], ["mior_public_council"]),
        ("Аналитическое и экспертное сопровождение: правовая оценка причин социальной напряжённости",
         "expert_support", ["akimat_astana"], ["mior_public_council"]),
        ("Информационно-разъяснительная работа", "information_work", ["mior"], ["astana_public_council"]),
    ]
    created = []
    for title, fmt, state, civil in items:
        created.append(await plans.add_item(x.db, x.orgs, plan, d.PlanItemCreate(
            title=title, format=d.CollaborationFormat(fmt), state_owner_ids=[x.org(o) for o in state],
            civil_owner_ids=[x.org(o) for o in civil], due_on=date(2023, 6, 30))))
    await plans.report(x.db, created[2], d.PlanReportCreate(
        org_id=x.org("mior_public_council"), percent=20,
        note="Сформирована методика мониторинга социальных проектов."), COORDINATOR)
    await plans.report(x.db, created[2], d.PlanReportCreate(
        org_id=x.org("mior"), percent=20, note="Предоставлен перечень лотов государственного социального заказа."),
        COORDINATOR)


async def coordination_council(x: Loader) -> None:
    """Seed 004: the Coordination council for interaction with NGOs under the minister, its protocol sent."""
    s = await x.new_session(
        "coordination_council", kind="coordination_council", format="offline", region_code="710000000",
        venue="Министерство информации и общественного развития РК, г. Нур-Султан",
        title={"ru": "Заседание Координационного совета по взаимодействию с НПО",
               "kk": "ҮЕҰ-мен өзара іс-қимыл жөніндегі үйлестіру кеңесінің отырысы"},
        description="Под председательством Министра информации и общественного развития А. Умарова. "
                    "Дата приблизительная (approximate).",
        topics=["НПО", "государственный социальный заказ", "общественные советы"],
        organizer_ids=[x.org("mior"), x.org("mior_ngo_council")], starts_at=at(2022, 3, 15, 15))
    items = await x.agenda(s, [
        {"title": "Усиление роли организаций гражданского общества в обеспечении эффективного взаимодействия",
         "speakers": [{"person_id": x.person("umarov"), "org_id": x.org("mior")}],
         "heard": "Министр: формирование единой институциональной модели общественного диалога; качественное "
                  "обновление составов общественных советов; вовлечение представителей в работу «Ұлттық Құрылтай».",
         "decided": "Обеспечить качественное обновление составов общественных советов."},
        {"title": "Использование потенциала неправительственного сектора в популяризации культурной политики",
         "speakers": [{"person_id": x.person("kadirov"), "org_id": x.org("mior")}]},
        {"title": "О создании общественного фонда «Қазақстан халқына»",
         "speakers": [{"person_id": x.person("burkitbaev"), "org_id": x.org("moh")},
                      {"person_id": x.person("zhamishev"), "org_id": x.org("qazaqstan_halqyna")}],
         "heard": "Б. Жамишев: разработка критериев отбора проектов и программ для финансирования, модель "
                  "«Фонда фондов»."},
        {"title": "Планирование тематики и оценка эффективности государственного социального заказа на "
                  "региональном уровне",
         "decided": "Направить в государственные органы предложения по планированию тематики и оценке "
                    "эффективности ГСЗ на региональном уровне."},
        {"title": "Открытое обращение представителей гражданского общества",
         "speakers": [{"person_id": x.person("nurgazieva"), "org_id": x.org("civil_alliance")}]},
    ])
    await x.move(s, d.SessionStatus.scheduled, d.SessionStatus.in_progress)
    await x.participant(s, "umarov", Sector.state, d.ParticipantRole.chair, "mior")
    for person, org in (("kadirov", "mior"), ("burkitbaev", "moh")):
        await x.participant(s, person, Sector.state, org=org)
    for person, org in (("zhamishev", "qazaqstan_halqyna"), ("nurgazieva", "civil_alliance")):
        await x.participant(s, person, Sector.civil_society, org=org)
    # «35 представителей государственных органов, 46 представителей НПО и экспертного сообщества».
    await sessions.set_head_counts(x.db, s, [d.HeadCount(sector=Sector.state, count=35),
                                             d.HeadCount(sector=Sector.civil_society, count=46)])
    await x.recommend("gsz_regional", s, "Проработать вопросы планирования тематики и оценки эффективности "
                      "реализации государственного социального заказа на региональном уровне.", ["mior"],
                      topics=["государственный социальный заказ"], item_id=items[3])
    await x.recommend("councils_renewal", s, "Обеспечить качественное обновление составов общественных советов.",
                      ["mior"], topics=["общественные советы"], item_id=items[0])
    await x.move(s, d.SessionStatus.concluded)
    await x.publish(s, number="1", chair="Умаров А. К.",
                    attendees="35 представителей государственных органов, 46 представителей НПО и экспертного "
                              "сообщества")


async def ensure_empty(session: AsyncSession) -> None:
    existing = (await session.exec(select(func.count()).select_from(DialogueSession))).one()[0]
    if existing:
        raise NotEmpty(f"the dialogue database already holds {existing} sessions")


async def load(session: AsyncSession, orgs: OrgsClient, ids: dict[str, int]) -> DemoResult:
    """Run the four seed events; flush, never commit. Refuses a database that already holds sessions."""
    await ensure_empty(session)
    x = Loader(session, orgs, ids)
    for event in (round_table, forum, dialogue_platforms, coordination_council):
        await event(x)
    await session.flush()
    return x.result

