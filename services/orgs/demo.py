"""The registry's demo data: every organization and person the seed articles name, and their roles.

The seeds are the five Russian news articles in `shared/seeds/` (000 … 004). Each record below says
which article(s) it comes from. Only what the articles state, or what is unambiguous public
knowledge, is entered: no BINs, no personal contacts, no invented members or dates. Where a record
is not named by an article but is needed to place a named one (a parent, the state body a council is
attached to), its comment says so.

`load` goes through the service layer (validation, search text, topics) with the contract models,
flushes and never commits: the caller owns the transaction. It refuses to touch a registry that
already holds organizations or people. The `ids` it returns map stable keys ("org:vktu",
"person:nurgazieva") to database ids, so other demo data (the dialogue service's sessions) can refer
to these records.

`load_accounts` adds one demo account per role (admin, coordinator, the akimat's representative, a public
council's member) with fixed, published passwords, and an API key for the akimat; it is idempotent and refuses
production.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, select

from services.common.db import AsyncSession
from services.contracts.accounts import AccountCreate, ApiKeyCreate, Scope
from services.contracts.auth import Role
from services.contracts.orgs import (
    MembershipCreate,
    MembershipRole,
    Names,
    OrgContacts,
    OrgCreate,
    OrgKind,
    OrgLevel,
    PersonCreate,
    RegionCreate,
)
from services.orgs import accounts, service
from services.orgs.models import Account, ApiKey, Organization, Person, Region

# The seed articles, by file-name prefix.
SEEDS: dict[str, str] = {
    "000": "Представлена модель партнерства госструктур и НПО (круглый стол в ВКТУ, Усть-Каменогорск)",
    "001": "Общество и власть: Открытость и справедливость – требование времени (тот же круглый стол)",
    "002": "30-летие Конституции РК: чиновники провели встречу с жителями ВКО (форум «Голос региона»)",
    "003": "Вопросы коллаборации деятельности общественных советов местного и республиканского уровней "
           "обсудили в г. Нур-Султан (26 июля 2022, Дом Дружбы)",
    "004": "Каким образом планируется усилить взаимодействие государственных органов и НПО? "
           "(заседание Координационного совета по взаимодействию с НПО при МИОР)",
}

EAST_KAZAKHSTAN = "630000000"
ASTANA = "710000000"
UST_KAMENOGORSK = "631010000"

UST_KAMENOGORSK_REGION = RegionCreate(
    code=UST_KAMENOGORSK, parent_code=EAST_KAZAKHSTAN,
    names=Names(ru="город Усть-Каменогорск", kk="Өскемен қаласы", en="Ust-Kamenogorsk"),
)


class NotEmpty(Exception):
    """The registry already holds organizations or people: the demo data is loaded only into an empty one."""


@dataclass
class DemoResult:
    organizations: int
    people: int
    memberships: int
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OrgSpec:
    key: str
    sources: tuple[str, ...]  # seed articles that name it; () = not named, needed to place a named record
    kind: OrgKind
    level: OrgLevel
    names: Names
    region: str | None = None
    parent: str | None = None
    attached_to: str | None = None
    short_name: str | None = None
    other_names: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    website: str | None = None
    founded_on: date | None = None
    term_ends_on: date | None = None


@dataclass(frozen=True)
class PersonSpec:
    key: str
    sources: tuple[str, ...]
    family_name: str
    given_name: str
    patronymic: str | None = None
    name_kk: str | None = None  # family name first, as full_name is built
    name_en: str | None = None
    honorific: str | None = None
    position: str | None = None


@dataclass(frozen=True)
class MembershipSpec:
    person: str
    org: str
    role: MembershipRole
    title: str | None
    sources: tuple[str, ...]


R, S = OrgLevel.republican, OrgLevel.regional

ORGS: tuple[OrgSpec, ...] = (
    # --- Universities and research (000, 001, 002) ---------------------------------------------
    OrgSpec(
        "org:vktu", ("000", "001", "002"), OrgKind.research_education, S,
        Names(ru="Восточно-Казахстанский технический университет имени Д. Серикбаева",
              kk="Д. Серікбаев атындағы Шығыс Қазақстан техникалық университеті",
              en="D. Serikbayev East Kazakhstan Technical University"),
        region=UST_KAMENOGORSK, short_name="ВКТУ",
        other_names=("ВКТУ им. Д. Серикбаева", "ШҚТУ", "EKTU"),
        topics=("образование", "наука", "социально-демографические исследования"),
        website="https://www.ektu.kz",
    ),
    OrgSpec(
        # 000: "научно-исследовательский центр в области социологии и демографии Digital social research";
        # 001: "Международный научный центр «DIGITAL SOCIAL RESEARCH» ВКТУ им. Д. Серикбаева".
        "org:dsr", ("000", "001"), OrgKind.research_education, S,
        Names(ru="Международный научный центр «Digital Social Research»",
              kk="«Digital Social Research» халықаралық ғылыми орталығы",
              en="Digital Social Research International Research Centre"),
        region=UST_KAMENOGORSK, parent="org:vktu", short_name="Digital Social Research",
        other_names=("Международный научный центр «DIGITAL SOCIAL RESEARCH» ВКТУ им. Д. Серикбаева",
                     "научно-исследовательский центр в области социологии и демографии Digital social research"),
        topics=("социология", "демография", "социально-демографические исследования"),
    ),
    OrgSpec(
        "org:enu", ("000",), OrgKind.research_education, R,
        Names(ru="Евразийский национальный университет имени Л. Н. Гумилева",
              kk="Л. Н. Гумилев атындағы Еуразия ұлттық университеті",
              en="L. N. Gumilyov Eurasian National University"),
        region=ASTANA, short_name="ЕНУ", other_names=("ЕНУ им. Л. Гумилева", "ЕҰУ", "ENU"),
        topics=("образование", "наука"), website="https://enu.kz",
    ),
    OrgSpec(
        "org:enu_ank_department", ("000",), OrgKind.research_education, R,
        Names(ru="Кафедра Ассамблеи народа Казахстана ЕНУ имени Л. Н. Гумилева",
              kk="Л. Н. Гумилев атындағы ЕҰУ Қазақстан халқы Ассамблеясы кафедрасы",
              en="Department of the Assembly of People of Kazakhstan, L. N. Gumilyov Eurasian National University"),
        region=ASTANA, parent="org:enu", short_name="кафедра АНК ЕНУ",
        topics=("межэтнические отношения", "социология", "государственный язык", "образование"),
    ),
    OrgSpec(
        "org:apa", ("000", "001"), OrgKind.research_education, R,
        Names(ru="Академия государственного управления при Президенте Республики Казахстан",
              kk="Қазақстан Республикасының Президенті жанындағы Мемлекеттік басқару академиясы",
              en="Academy of Public Administration under the President of the Republic of Kazakhstan"),
        region=ASTANA, short_name="АГУ", other_names=("АГУ при Президенте РК",),
        topics=("государственное управление", "образование"), website="https://www.apa.kz",
    ),
    OrgSpec(
        # 001 names "филиал Академии государственного управления при Президенте РК" among the speakers at a
        # regional round table in Ust-Kamenogorsk: the branch for East Kazakhstan. The article does not give
        # the branch's official name; this one is descriptive.
        "org:apa_vko", ("001",), OrgKind.research_education, S,
        Names(ru="Филиал Академии государственного управления при Президенте Республики Казахстан "
                 "по Восточно-Казахстанской области",
              kk="Қазақстан Республикасының Президенті жанындағы Мемлекеттік басқару академиясының "
                 "Шығыс Қазақстан облысы бойынша филиалы",
              en="East Kazakhstan Branch of the Academy of Public Administration under the President "
                 "of the Republic of Kazakhstan"),
        region=EAST_KAZAKHSTAN, parent="org:apa",
        other_names=("филиал Академии государственного управления при Президенте РК",),
        topics=("государственное управление", "образование"),
    ),
    # --- State bodies ----------------------------------------------------------------------------
    OrgSpec(
        # Not named as such; the Senate is "Сенат Парламента РК" (001, 002).
        "org:parliament", (), OrgKind.state_body, R,
        Names(ru="Парламент Республики Казахстан", kk="Қазақстан Республикасының Парламенті",
              en="Parliament of the Republic of Kazakhstan"),
        region=ASTANA, topics=("законодательство",),
    ),
    OrgSpec(
        "org:senate", ("001", "002"), OrgKind.state_body, R,
        Names(ru="Сенат Парламента Республики Казахстан", kk="Қазақстан Республикасы Парламентінің Сенаты",
              en="Senate of the Parliament of the Republic of Kazakhstan"),
        region=ASTANA, parent="org:parliament", short_name="Сенат", other_names=("Сенат Парламента РК",),
        topics=("законодательство",),
    ),
    OrgSpec(
        "org:akimat_vko", ("001", "002"), OrgKind.state_body, S,
        Names(ru="Акимат Восточно-Казахстанской области", kk="Шығыс Қазақстан облысының әкімдігі",
              en="Akimat of East Kazakhstan Region"),
        region=EAST_KAZAKHSTAN, short_name="акимат ВКО", other_names=("ШҚО әкімдігі",),
        topics=("местное государственное управление", "гражданское общество"),
    ),
    OrgSpec(
        # 003 speaks of issues "beyond the competence of the МИО" (local executive bodies) of the city; the
        # city's public council is attached to the city's akimat. Not named otherwise.
        "org:akimat_astana", (), OrgKind.state_body, S,
        Names(ru="Акимат города Астаны", kk="Астана қаласының әкімдігі", en="Akimat of Astana"),
        region=ASTANA, other_names=("Акимат города Нур-Султана",),
        topics=("местное государственное управление",),
    ),
    OrgSpec(
        "org:mki", ("002",), OrgKind.state_body, R,
        Names(ru="Министерство культуры и информации Республики Казахстан",
              kk="Қазақстан Республикасының Мәдениет және ақпарат министрлігі",
              en="Ministry of Culture and Information of the Republic of Kazakhstan"),
        region=ASTANA, short_name="МКИ", topics=("культура", "информационная политика", "гражданское общество"),
    ),
    OrgSpec(
        "org:mki_civil_society_committee", ("002",), OrgKind.state_body, R,
        Names(ru="Комитет по делам гражданского общества Министерства культуры и информации Республики Казахстан",
              kk="Қазақстан Республикасы Мәдениет және ақпарат министрлігінің Азаматтық қоғам істері комитеті",
              en="Civil Society Affairs Committee of the Ministry of Culture and Information "
                 "of the Republic of Kazakhstan"),
        region=ASTANA, parent="org:mki", other_names=("Комитет по делам гражданского общества",),
        topics=("гражданское общество", "НПО", "государственный социальный заказ", "общественные советы"),
    ),
    OrgSpec(
        # The ministry of 004 (2022). It was later reorganized into the Ministry of Culture and Information;
        # the registry has no predecessor/successor link and the date is not in the articles, so it stays as
        # the articles show it.
        "org:mior", ("003", "004"), OrgKind.state_body, R,
        Names(ru="Министерство информации и общественного развития Республики Казахстан",
              kk="Қазақстан Республикасының Ақпарат және қоғамдық даму министрлігі",
              en="Ministry of Information and Social Development of the Republic of Kazakhstan"),
        region=ASTANA, short_name="МИОР", other_names=("АҚДМ",),
        topics=("информационная политика", "гражданское общество", "НПО", "государственный социальный заказ"),
    ),
    OrgSpec(
        # A consultative body chaired by the minister, with state bodies and NGOs at one table. It is not a
        # public council under the Law "On public councils" (no fixed civil-society share, a state chair), so
        # its kind is `other` and it hangs under the ministry as a parent (`attached_to` is for public
        # councils only); as a public council the composition check would flag it for what it is by design.
        "org:mior_ngo_council", ("004",), OrgKind.other, R,
        Names(ru="Координационный совет по взаимодействию с неправительственными организациями",
              kk="Үкіметтік емес ұйымдармен өзара іс-қимыл жөніндегі үйлестіру кеңесі",
              en="Coordination Council for Interaction with Non-Governmental Organizations"),
        region=ASTANA, parent="org:mior",
        other_names=("Координационный совет по взаимодействию с НПО",
                     "Координационный совет по взаимодействию с НПО при МИОР"),
        topics=("НПО", "гражданское общество", "государственный социальный заказ", "благотворительность"),
    ),
    OrgSpec(
        "org:moh", ("004",), OrgKind.state_body, R,
        Names(ru="Министерство здравоохранения Республики Казахстан",
              kk="Қазақстан Республикасының Денсаулық сақтау министрлігі",
              en="Ministry of Healthcare of the Republic of Kazakhstan"),
        region=ASTANA, short_name="МЗ РК", other_names=("Минздрав",), topics=("здравоохранение",),
    ),
    OrgSpec(
        # The parent of the city police; not named in the articles.
        "org:mvd", (), OrgKind.state_body, R,
        Names(ru="Министерство внутренних дел Республики Казахстан",
              kk="Қазақстан Республикасының Ішкі істер министрлігі",
              en="Ministry of Internal Affairs of the Republic of Kazakhstan"),
        region=ASTANA, short_name="МВД", other_names=("ІІМ",), topics=("правопорядок",),
    ),
    OrgSpec(
        # 003: joint council meetings "по заслушиванию отчетов полиции" of the capital.
        "org:astana_police", ("003",), OrgKind.state_body, S,
        Names(ru="Департамент полиции города Астаны", kk="Астана қаласының Полиция департаменті",
              en="Astana City Police Department"),
        region=ASTANA, parent="org:mvd", other_names=("Департамент полиции города Нур-Султана",),
        topics=("правопорядок", "профилактика правонарушений", "безопасность дорожного движения"),
    ),
    # --- Public councils (003) -------------------------------------------------------------------
    OrgSpec(
        # Named "Общественный совет г. Нур-Султан" in 2022; the capital is Astana again since September 2022.
        # The articles name none of its members and not its term, so neither is entered: the composition
        # check reports it under-sized, without a chair and with an unknown term, which is what is known.
        "org:astana_public_council", ("003",), OrgKind.public_council, S,
        Names(ru="Общественный совет города Астаны", kk="Астана қаласының Қоғамдық кеңесі",
              en="Public Council of Astana"),
        region=ASTANA, attached_to="org:akimat_astana",
        other_names=("Общественный совет г. Нур-Султан", "ОС г. Нур-Султан", "Нұр-Сұлтан қаласының Қоғамдық кеңесі"),
        topics=("общественный контроль", "профилактика правонарушений", "наркомания среди молодежи",
                "безопасность учащихся", "миграция", "социальная напряженность"),
    ),
    OrgSpec(
        # 003: "ОС в сфере информации и общественного развития", a republican-level public council.
        "org:mior_public_council", ("003",), OrgKind.public_council, R,
        Names(ru="Общественный совет Министерства информации и общественного развития Республики Казахстан",
              kk="Қазақстан Республикасы Ақпарат және қоғамдық даму министрлігінің Қоғамдық кеңесі",
              en="Public Council of the Ministry of Information and Social Development of the Republic of Kazakhstan"),
        region=ASTANA, attached_to="org:mior",
        other_names=("ОС в сфере информации и общественного развития",),
        topics=("государственный социальный заказ", "общественный контроль", "мониторинг социальных проектов"),
    ),
    # --- Assembly, Kurultai and their places -----------------------------------------------------
    OrgSpec(
        # A consultative body under the President, not a state body and not an NGO: kind `other`.
        "org:apk", ("000", "001"), OrgKind.other, R,
        Names(ru="Ассамблея народа Казахстана", kk="Қазақстан халқы Ассамблеясы",
              en="Assembly of People of Kazakhstan"),
        region=ASTANA, short_name="АНК", other_names=("ҚХА", "APK"),
        topics=("межэтнические отношения", "общественное согласие"), website="https://assembly.kz",
        founded_on=date(1995, 3, 1),
    ),
    OrgSpec(
        # A consultative body under the President (002: "Национальный Курултай"; 004: "национальный институт
        # «Ұлттық Құрылтай»"); it meets in different cities, so no region.
        "org:kurultai", ("001", "002", "004"), OrgKind.other, R,
        Names(ru="Национальный курултай", kk="Ұлттық құрылтай", en="National Kurultai"),
        other_names=("Национальный курултай при Президенте Республики Казахстан", "Ұлттық Құрылтай"),
        topics=("общественный диалог", "гражданское общество"),
    ),
    OrgSpec(
        # 003: the venue of the 26 July 2022 dialogue platforms. A house of the Assembly's work; who owns it
        # legally is not in the articles, so no parent.
        "org:friendship_house_astana", ("003",), OrgKind.other, S,
        Names(ru="Дом Дружбы города Астаны", kk="Астана қаласының Достық үйі", en="House of Friendship, Astana"),
        region=ASTANA, other_names=("Дом Дружбы г. Нур-Султан", "Достық үйі"),
        topics=("межэтнические отношения",),
    ),
    OrgSpec(
        # 002: its ethno-village hosted the forum's morning sessions. A museum: kind `other`.
        "org:left_bank_museum", ("002",), OrgKind.other, S,
        Names(ru="Левобережный музей-заповедник", kk="Сол жағалау музей-қорығы", en="Left-Bank Museum-Reserve"),
        region=UST_KAMENOGORSK, other_names=("этнодеревня Левобережного музея-заповедника",),
        topics=("культура", "культурное наследие"),
    ),
    # --- Civil society -----------------------------------------------------------------------------
    OrgSpec(
        "org:civil_alliance", ("002", "004"), OrgKind.ngo, R,
        Names(ru="Объединение юридических лиц «Гражданский Альянс Казахстана»",
              kk="«Қазақстанның Азаматтық альянсы» заңды тұлғалар бірлестігі",
              en="Civil Alliance of Kazakhstan"),
        short_name="ГАК",
        other_names=("ОЮЛ «Гражданский Альянс Казахстана»", "Гражданский Альянс Казахстана",
                     "Қазақстанның Азаматтық альянсы"),
        topics=("гражданское общество", "НПО"), website="http://civilalliance.kz",
    ),
    OrgSpec(
        # The Kazakh name is the canonical one (004 uses it; it also writes «Народу Казахстана»).
        "org:qazaqstan_halqyna", ("004",), OrgKind.foundation, R,
        Names(ru="Общественный фонд «Қазақстан халқына»", kk="«Қазақстан халқына» қоғамдық қоры",
              en="Qazaqstan Halqyna Public Foundation"),
        short_name="Қазақстан халқына",
        other_names=("ОФ «Қазақстан халқына»", "ОФ «Народу Казахстана»", "Народу Казахстана"),
        topics=("благотворительность", "здравоохранение", "социальная поддержка"),
    ),
)

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("person:rakhmetullina", ("000",), "Рахметуллина", "Сауле", name_kk="Рахметуллина Сәуле",
               name_en="Saule Rakhmetullina", position="глава ВКТУ им. Д. Серикбаева"),
    PersonSpec("person:aubakirova", ("001",), "Аубакирова", "Жанна", name_en="Zhanna Aubakirova",
               honorific="к.и.н.",
               position="руководитель Международного научного центра «DIGITAL SOCIAL RESEARCH» ВКТУ"),
    PersonSpec("person:kalashnikova", ("000",), "Калашникова", "Наталья", name_en="Natalya Kalashnikova",
               honorific="д.полит.н.", position="заведующая кафедрой АНК ЕНУ им. Л. Гумилева"),
    # 001 gives no organization for her: a person without a membership.
    PersonSpec("person:stolyarova", ("001",), "Столярова", "Элеонора", name_en="Eleonora Stolyarova",
               honorific="кандидат наук", position="социолог"),
    PersonSpec("person:nurgaliev", ("002",), "Нургалиев", "Ербол", name_kk="Нұрғалиев Ербол",
               name_en="Yerbol Nurgaliyev", position="заместитель акима ВКО"),
    PersonSpec("person:zheksenbay", ("002",), "Жексенбай", "Бибигуль", name_kk="Жексенбай Бибігүл",
               name_en="Bibigul Zheksenbay",
               position="депутат Сената Парламента РК, заместитель председателя Национального Курултая"),
    PersonSpec("person:sultanova", ("002",), "Султанова", "Гульбара", name_kk="Сұлтанова Гүлбара",
               name_en="Gulbara Sultanova",
               position="председатель Комитета по делам гражданского общества Министерства культуры и информации РК"),
    PersonSpec("person:nurgazieva", ("002", "004"), "Нургазиева", "Бану", name_kk="Нұрғазиева Бану",
               name_en="Banu Nurgaziyeva", position="президент Гражданского Альянса Казахстана"),
    PersonSpec("person:umarov", ("004",), "Умаров", "Аскар", name_kk="Омаров Асқар", name_en="Askar Umarov",
               position="Министр информации и общественного развития"),
    PersonSpec("person:kadirov", ("004",), "Кадиров", "Данияр", name_en="Daniyar Kadirov",
               position="вице-министр информации и общественного развития"),
    PersonSpec("person:burkitbaev", ("004",), "Буркитбаев", "Жандос", name_kk="Бүркітбаев Жандос",
               name_en="Zhandos Burkitbayev", position="вице-министр здравоохранения"),
    PersonSpec("person:zhamishev", ("004",), "Жамишев", "Болат", name_kk="Жәмішев Болат", name_en="Bolat Zhamishev",
               position="Председатель Правления ОФ «Қазақстан халқына»"),
    # 001 and 004 name the Head of State (001 with his patronymic); his roles below are public knowledge.
    PersonSpec("person:tokayev", ("001", "004"), "Токаев", "Касым-Жомарт", "Кемелевич",
               name_kk="Тоқаев Қасым-Жомарт Кемелұлы", name_en="Kassym-Jomart Tokayev",
               position="Президент Республики Казахстан"),
)

MEMBERSHIPS: tuple[MembershipSpec, ...] = (
    MembershipSpec("person:rakhmetullina", "org:vktu", MembershipRole.head, "глава университета", ("000",)),
    MembershipSpec("person:aubakirova", "org:dsr", MembershipRole.head,
                   "руководитель Международного научного центра «DIGITAL SOCIAL RESEARCH» ВКТУ им. Д. Серикбаева",
                   ("001",)),
    MembershipSpec("person:kalashnikova", "org:enu_ank_department", MembershipRole.head,
                   "заведующая кафедрой АНК Евразийского национального университета им. Л. Гумилева", ("000",)),
    MembershipSpec("person:nurgaliev", "org:akimat_vko", MembershipRole.deputy_head, "заместитель акима ВКО",
                   ("002",)),
    MembershipSpec("person:zheksenbay", "org:senate", MembershipRole.member, "депутат Сената Парламента РК",
                   ("002",)),
    MembershipSpec("person:zheksenbay", "org:kurultai", MembershipRole.deputy_chair,
                   "заместитель председателя Национального Курултая", ("002",)),
    # A committee's "председатель" heads a state agency: role `head`, the word kept in the title.
    MembershipSpec("person:sultanova", "org:mki_civil_society_committee", MembershipRole.head,
                   "председатель Комитета по делам гражданского общества Министерства культуры и информации РК",
                   ("002",)),
    MembershipSpec("person:nurgazieva", "org:civil_alliance", MembershipRole.head,
                   "президент Гражданского Альянса Казахстана", ("002", "004")),
    MembershipSpec("person:umarov", "org:mior", MembershipRole.head, "Министр информации и общественного развития",
                   ("004",)),
    MembershipSpec("person:umarov", "org:mior_ngo_council", MembershipRole.chair,
                   "председатель Координационного совета по взаимодействию с НПО", ("004",)),
    MembershipSpec("person:kadirov", "org:mior", MembershipRole.deputy_head,
                   "вице-министр информации и общественного развития", ("004",)),
    MembershipSpec("person:burkitbaev", "org:moh", MembershipRole.deputy_head, "вице-министр здравоохранения",
                   ("004",)),
    # The chair of the fund's executive board (Правление) runs the fund: role `head`.
    MembershipSpec("person:zhamishev", "org:qazaqstan_halqyna", MembershipRole.head, "Председатель Правления",
                   ("004",)),
    # Public knowledge: the President chairs the Assembly (since 2021) and the National Kurultai.
    MembershipSpec("person:tokayev", "org:apk", MembershipRole.chair, "Председатель Ассамблеи народа Казахстана",
                   ()),
    MembershipSpec("person:tokayev", "org:kurultai", MembershipRole.chair, "Председатель Национального курултая",
                   ()),
)


def _org_create(spec: OrgSpec, ids: dict[str, int]) -> OrgCreate:
    return OrgCreate(
        kind=spec.kind, level=spec.level, region_code=spec.region,
        parent_id=ids[spec.parent] if spec.parent else None,
        attached_to_id=ids[spec.attached_to] if spec.attached_to else None,
        names=spec.names, short_name=spec.short_name, other_names=list(spec.other_names),
        topics=list(spec.topics), contacts=OrgContacts(website=spec.website),
        founded_on=spec.founded_on, term_ends_on=spec.term_ends_on,
    )


def _person_create(spec: PersonSpec) -> PersonCreate:
    return PersonCreate(
        family_name=spec.family_name, given_name=spec.given_name, patronymic=spec.patronymic,
        name_kk=spec.name_kk, name_en=spec.name_en, honorific=spec.honorific, position=spec.position,
    )


async def load(session: AsyncSession) -> DemoResult:
    """Enter the seed articles' organizations, people and memberships; flush, never commit."""
    orgs, people = await service.count(session, Organization), await service.count(session, Person)
    if orgs or people:
        raise NotEmpty(f"the registry already holds {orgs} organizations and {people} people; "
                       "the demo data is loaded only into an empty one")
    if await session.get(Region, UST_KAMENOGORSK) is None:
        await service.create_region(session, UST_KAMENOGORSK_REGION)
    ids: dict[str, int] = {}
    for org_spec in ORGS:  # parents and attached-to bodies come before the records that point at them
        org, _topics = await service.create_org(session, _org_create(org_spec, ids))
        assert org.id is not None
        ids[org_spec.key] = org.id
    for person_spec in PEOPLE:
        person = await service.create_person(session, _person_create(person_spec))
        assert person.id is not None
        ids[person_spec.key] = person.id
    for m in MEMBERSHIPS:
        await service.create_membership(session, MembershipCreate(
            person_id=ids[m.person], org_id=ids[m.org], role=m.role, title=m.title))
    await session.flush()
    return DemoResult(organizations=len(ORGS), people=len(PEOPLE), memberships=len(MEMBERSHIPS), ids=ids)


# ---------------------------------------------------------------------------------------------
# Demo accounts: one per role, so a visitor of the embedded default can try every part of the web app.
# The passwords are fixed and published (README): these accounts exist only beside the demo data, and are
# refused in production.


class DemoAccountsRefused(Exception):
    """Demo accounts are not made here (production, or a registry without the demo organizations)."""


@dataclass(frozen=True)
class AccountSpec:
    login: str
    password: str
    role: Role
    display_name: str
    org: str | None = None  # the demo organization the account speaks for


DEMO_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("demo.admin", "ashyq-demo-admin", Role.admin, "Администратор (демо)"),
    # A coordinator at the university centre that ran the round table of seeds 000/001.
    AccountSpec("demo.coordinator", "ashyq-demo-coordinator", Role.coordinator, "Координатор ВКТУ (демо)",
                "org:vktu"),
    # The akimat the round table and the forum addressed their recommendations to (seeds 000-002).
    AccountSpec("demo.akimat", "ashyq-demo-akimat", Role.representative, "Представитель акимата ВКО (демо)",
                "org:akimat_vko"),
    # A member of the capital's public council of the dialogue platforms (seed 003).
    AccountSpec("demo.council", "ashyq-demo-council", Role.member, "Член Общественного совета г. Астаны (демо)",
                "org:astana_public_council"),
)
DEMO_API_KEY_NAME = "Демо: информационная система акимата ВКО"
DEMO_API_KEY_ORG = "org:akimat_vko"
DEMO_API_KEY_SCOPES = (Scope.read, Scope.answer)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    role: Role
    organization: str | None
    password: str | None  # None: the demo password no longer opens the account (changed, or it is disabled)
    note: str = ""


@dataclass
class DemoAccounts:
    accounts: list[DemoAccount]
    created: list[str]
    api_key_name: str
    api_key_organization: str
    api_key_scopes: tuple[Scope, ...]
    api_key_prefix: str | None = None
    api_key: str | None = None  # the secret: only when this call created the key (shown once)


async def _opens(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(accounts.PASSWORDS.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _demo_org_ids(session: AsyncSession, keys: set[str]) -> dict[str, int]:
    """The demo organizations by key, found by their Russian names (for a registry loaded on an earlier run)."""
    specs = {spec.key: spec for spec in ORGS if spec.key in keys}
    rows = await session.exec(select(Organization).where(
        col(Organization.name_ru).in_([s.names.ru for s in specs.values()]),
        col(Organization.is_archived).is_(False)).order_by(col(Organization.id)))
    by_name: dict[str, int] = {}
    for org in rows:
        by_name.setdefault(org.name_ru, org.id or 0)
    missing = [key for key, spec in specs.items() if spec.names.ru not in by_name]
    if missing:
        raise DemoAccountsRefused("the registry does not hold the demo organizations "
                                  f"({', '.join(sorted(missing))}); load the demo data first")
    return {key: by_name[spec.names.ru] for key, spec in specs.items()}


async def load_accounts(session: AsyncSession, *, environment: str,
                        ids: dict[str, int] | None = None) -> DemoAccounts:
    """Make the demo accounts and the akimat's demo API key that are missing; flush, never commit.

    Idempotent: an existing account is left as it is (its password is checked, so the table printed from the
    result tells whether the demo password still opens it). The API key's secret is returned only by the call
    that creates it; afterwards only its prefix is known.
    """
    if environment == "production":
        raise DemoAccountsRefused("demo accounts, whose passwords are published, are never made in production")
    wanted = {spec.org for spec in DEMO_ACCOUNTS if spec.org} | {DEMO_API_KEY_ORG}
    org_ids = {key: ids[key] for key in wanted if ids and key in ids}
    if len(org_ids) < len(wanted):
        org_ids = await _demo_org_ids(session, wanted)
    names = {org.id: org.name_ru for org in await session.exec(
        select(Organization).where(col(Organization.id).in_(list(org_ids.values()))))}
    result = DemoAccounts(accounts=[], created=[], api_key_name=DEMO_API_KEY_NAME,
                          api_key_organization=names[org_ids[DEMO_API_KEY_ORG]], api_key_scopes=DEMO_API_KEY_SCOPES)
    for spec in DEMO_ACCOUNTS:
        org_id = org_ids[spec.org] if spec.org else None
        account = (await session.exec(select(Account).where(col(Account.login) == spec.login))).first()
        if account is None:
            await accounts.create_account(session, AccountCreate(
                login=spec.login, password=spec.password, display_name=spec.display_name, roles=[spec.role],
                org_ids=[org_id] if org_id else []))
            result.created.append(spec.login)
            password: str | None = spec.password
            note = ""
        elif account.is_disabled:
            password, note = None, "disabled"
        elif await _opens(account.password_hash, spec.password):
            password, note = spec.password, ""
        else:
            password, note = None, "password changed"
        result.accounts.append(DemoAccount(login=spec.login, role=spec.role,
                                           organization=names.get(org_id) if org_id else None,
                                           password=password, note=note))
    key = (await session.exec(select(ApiKey).where(col(ApiKey.name) == DEMO_API_KEY_NAME)
                              .order_by(col(ApiKey.id)))).first()
    if key is None:
        key, secret = await accounts.create_api_key(session, ApiKeyCreate(
            name=DEMO_API_KEY_NAME, org_id=org_ids[DEMO_API_KEY_ORG], scopes=list(DEMO_API_KEY_SCOPES)), None)
        result.api_key = secret
    result.api_key_prefix = key.prefix
    await session.flush()
    return result
