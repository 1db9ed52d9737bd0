"""Searching and filtering the registry: Kazakh and Russian in any case, best matches first, every page."""

from __future__ import annotations

import pytest

UNIVERSITY = "Восточно-Казахстанский технический университет им. Д. Серикбаева"


async def create(orgs, headers, body) -> dict:
    response = await orgs.post("/v1/orgs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def search(orgs, **params) -> list[str]:
    """Names of every match, in the order served, from one page big enough for all of them."""
    response = await orgs.get("/v1/orgs", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [o["names"]["ru"] for o in response.json()["items"]]


@pytest.fixture
async def registry(orgs, coordinator) -> dict[str, dict]:
    """A small registry from the seeds, with noise around it; returned by short handles."""
    district = await orgs.post("/v1/regions", headers=coordinator, json={
        "code": "631010000", "parent_code": "630000000",
        "names": {"ru": "город Усть-Каменогорск", "kk": "Өскемен қаласы", "en": "Ust-Kamenogorsk"}})
    assert district.status_code == 201, district.text

    made: dict[str, dict] = {}

    async def add(handle: str, **body) -> None:
        made[handle] = await create(orgs, coordinator, body)

    await add("ministry", kind="state_body", level="republican", region_code="710000000", names={
        "ru": "Министерство информации и общественного развития Республики Казахстан",
        "kk": "Қазақстан Республикасының Ақпарат және қоғамдық даму министрлігі"}, short_name="МИОР РК")
    await add("akimat", kind="state_body", level="regional", region_code="710000000",
              names={"ru": "Акимат города Нур-Султан", "kk": "Нұр-Сұлтан қаласының әкімдігі"})
    await add("committee", kind="state_body", level="republican", region_code="710000000",
              parent_id=made["ministry"]["id"], names={"ru": "Комитет по делам гражданского общества"})
    await add("fund", kind="foundation", level="republican", region_code="710000000",
              names={"ru": "Қазақстан халқына", "kk": "Қазақстан халқына", "en": "Kazakhstan Khalkyna"},
              other_names=["Фонд «Қазақстан халқына»"], topics=["Благотворительность"])
    await add("university", kind="research_education", level="regional", region_code="631010000",
              names={"ru": UNIVERSITY, "kk": "Д. Серікбаев атындағы Шығыс Қазақстан техникалық университеті",
                     "en": "D. Serikbayev East Kazakhstan Technical University"},
              short_name="ВКТУ им. Д. Серикбаева", other_names=["ВКТУ"], topics=["Образование", "Наука"])
    await add("city_council", kind="public_council", level="regional", region_code="710000000",
              attached_to_id=made["akimat"]["id"], names={"ru": "Общественный совет города Нур-Султан"})
    await add("ministry_council", kind="public_council", level="republican", region_code="710000000",
              attached_to_id=made["ministry"]["id"],
              names={"ru": "Общественный совет Министерства информации и общественного развития"})
    # Noise: near misses for every query below.
    await add("green", kind="ngo", level="regional", region_code="630000000",
              names={"ru": "Общественное объединение «Зелёный город»"}, topics=["Экология"])
    await add("lawyers", kind="ngo", level="republican", region_code="750000000",
              names={"ru": "Казахстанский союз юристов"}, bin="000740000728")
    await add("alumni", kind="ngo", level="regional", region_code="630000000",
              names={"ru": "Ассоциация выпускников ВКТУ им. Д. Серикбаева"})
    await add("media", kind="media", level="regional", region_code="630000000", names={"ru": "ВКТУ-Медиа"})
    await add("akmola", kind="ngo", level="regional", region_code="110000000",
              names={"ru": "Центр поддержки гражданских инициатив Акмолинской области"})
    await add("abai", kind="ngo", level="regional", region_code="100000000",
              names={"ru": "Ёлочка — детский благотворительный фонд Абайской области"})
    await add("old_council", kind="public_council", level="district", region_code="630000000",
              names={"ru": "Общественный совет упразднённого района"})
    read = await orgs.get(f"/v1/orgs/{made['old_council']['id']}")
    archived = await orgs.delete(f"/v1/orgs/{made['old_council']['id']}",
                                 headers={**coordinator, "If-Match": read.headers["ETag"]})
    assert archived.status_code == 200, archived.text
    return made


def names(registry, *handles: str) -> list[str]:
    return [registry[h]["names"]["ru"] for h in handles]


class TestSearchByName:
    async def test_lowercase_kazakh_query_finds_capitalized_kazakh_name(self, orgs, registry):
        found = await search(orgs, q="қазақстан")
        assert "Қазақстан халқына" in found
        # The ministry and the university are found by their Kazakh names («Қазақстан Республикасының…»).
        assert sorted(found) == sorted(names(registry, "fund", "ministry", "university"))

    async def test_uppercase_kazakh_query_finds_it_too(self, orgs, registry):
        assert await search(orgs, q="ҚАЗАҚСТАН") == await search(orgs, q="қазақстан")
        assert "Қазақстан халқына" in await search(orgs, q="ҚАЗАҚСТАН ХАЛҚЫНА")

    async def test_whole_kazakh_name_finds_only_that_org(self, orgs, registry):
        assert await search(orgs, q="қазақстан халқына") == ["Қазақстан халқына"]

    async def test_kazakh_letters_do_not_match_their_russian_look_alikes(self, orgs, registry):
        assert "Қазақстан халқына" not in await search(orgs, q="казахстан")
        assert "Казахстанский союз юристов" not in await search(orgs, q="қазақстан")

    async def test_finds_by_other_name(self, orgs, registry):
        assert await search(orgs, q="Фонд «Қазақстан халқына»") == ["Қазақстан халқына"]

    async def test_abbreviation_finds_the_university_by_short_name(self, orgs, registry):
        found = await search(orgs, q="вкту")
        assert found[0] == UNIVERSITY
        assert set(found) == {UNIVERSITY, "ВКТУ-Медиа", "Ассоциация выпускников ВКТУ им. Д. Серикбаева"}

    async def test_uppercase_russian_query_finds_exactly_the_public_councils(self, orgs, registry):
        found = await search(orgs, q="ОБЩЕСТВЕННЫЙ")
        assert sorted(found) == sorted(names(registry, "city_council", "ministry_council"))

    async def test_matches_inside_words(self, orgs, registry):
        assert sorted(await search(orgs, q="азақст")) == sorted(names(registry, "fund", "ministry", "university"))
        assert UNIVERSITY in await search(orgs, q="технич")
        assert await search(orgs, q="ерикбаев") == ["Ассоциация выпускников ВКТУ им. Д. Серикбаева", UNIVERSITY]

    async def test_every_word_must_match_in_any_order(self, orgs, registry):
        assert await search(orgs, q="совет нур-султан") == ["Общественный совет города Нур-Султан"]
        assert await search(orgs, q="Нур-Султан совет") == ["Общественный совет города Нур-Султан"]
        assert await search(orgs, q="совет астана") == []

    async def test_yo_and_ye_are_the_same_letter(self, orgs, registry):
        for query in ("зеленый", "зелёный", "ЗЕЛЁНЫЙ"):
            assert await search(orgs, q=query) == ["Общественное объединение «Зелёный город»"], query
        assert await search(orgs, q="елочка") == names(registry, "abai")

    async def test_finds_by_kazakh_and_english_names(self, orgs, registry):
        assert await search(orgs, q="серікбаев") == [UNIVERSITY]
        assert await search(orgs, q="serikbayev") == [UNIVERSITY]
        assert await search(orgs, q="ӘКІМДІГІ") == ["Акимат города Нур-Султан"]

    async def test_finds_by_bin(self, orgs, registry):
        assert await search(orgs, q="000740000728") == ["Казахстанский союз юристов"]

    async def test_wildcards_in_the_query_are_plain_characters(self, orgs, registry):
        assert await search(orgs, q="%совет") == names(registry, "city_council", "ministry_council")
        assert await search(orgs, q="100%") == []

    async def test_nothing_found_is_an_empty_page(self, orgs, registry):
        assert await search(orgs, q="несуществующая организация") == []

    async def test_sees_renames(self, orgs, registry, coordinator):
        green = registry["green"]
        read = await orgs.get(f"/v1/orgs/{green['id']}")
        headers = {**coordinator, "If-Match": read.headers["ETag"]}
        response = await orgs.patch(f"/v1/orgs/{green['id']}", headers=headers,
                                    json={"names": {"ru": "Общественное объединение «Чистый город»"},
                                          "other_names": ["Таза қала"]})
        assert response.status_code == 200, response.text
        assert await search(orgs, q="чистый") == ["Общественное объединение «Чистый город»"]
        assert await search(orgs, q="ТАЗА ҚАЛА") == ["Общественное объединение «Чистый город»"]
        assert await search(orgs, q="зелёный") == []


class TestSearchRanking:
    async def test_exact_short_name_ranks_before_a_match_inside_a_longer_name(self, orgs, registry):
        assert await search(orgs, q="ВКТУ им. Д. Серикбаева") == [
            UNIVERSITY, "Ассоциация выпускников ВКТУ им. Д. Серикбаева"]

    async def test_exact_other_name_ranks_before_a_name_starting_with_the_query(self, orgs, registry):
        # «ВКТУ» is exactly one of the university's names; «ВКТУ-Медиа» only starts with it.
        assert await search(orgs, q="вкту") == [UNIVERSITY, "ВКТУ-Медиа",
                                                "Ассоциация выпускников ВКТУ им. Д. Серикбаева"]

    async def test_exact_name_ranks_first_even_when_it_is_the_last_name_on_record(self, orgs, coordinator):
        # The only name of the second organization is exactly the query; the first merely starts with it.
        await create(orgs, coordinator, {"kind": "ngo", "level": "regional", "names": {"ru": "Ашық алаң"}})
        await create(orgs, coordinator, {"kind": "ngo", "level": "regional", "names": {"ru": "Ашық"}})
        await create(orgs, coordinator, {"kind": "ngo", "level": "regional",
                                         "names": {"ru": "Центр открытого диалога"}, "short_name": "Ашық"})
        assert await search(orgs, q="ашық") == ["Ашық", "Центр открытого диалога", "Ашық алаң"]

    async def test_name_start_ranks_before_word_start_before_inside_a_word(self, orgs, coordinator):
        for name in ("Молодёжный совет", "Совет ветеранов", "Горсовет Риддера"):
            await create(orgs, coordinator, {"kind": "ngo", "level": "district", "names": {"ru": name}})
        assert await search(orgs, q="совет") == ["Совет ветеранов", "Молодёжный совет", "Горсовет Риддера"]


class TestSearchPagination:
    @pytest.mark.parametrize("query", ["общественный", "ВКТУ", "а", "в"])
    @pytest.mark.parametrize("limit", [1, 2, 3])
    async def test_small_pages_return_every_match_once_in_the_same_order(self, orgs, registry, query, limit):
        whole = (await orgs.get("/v1/orgs", params={"q": query, "limit": 200})).json()["items"]
        assert whole, query
        served: list[int] = []
        cursor = None
        for _ in range(100):
            params = {"q": query, "limit": limit, **({"cursor": cursor} if cursor else {})}
            page = (await orgs.get("/v1/orgs", params=params)).json()
            assert len(page["items"]) <= limit
            served += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert served == [o["id"] for o in whole]

    async def test_plain_list_pages_cover_everything_once(self, orgs, registry):
        whole = (await orgs.get("/v1/orgs", params={"limit": 200})).json()["items"]
        assert len(whole) == len(registry) - 1  # the archived council is left out
        served: list[int] = []
        cursor = None
        while True:
            page = (await orgs.get("/v1/orgs", params={"limit": 4, **({"cursor": cursor} if cursor else {})})).json()
            served += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert served == [o["id"] for o in whole]

    async def test_last_full_page_has_no_dangling_cursor(self, orgs, registry):
        page = (await orgs.get("/v1/orgs", params={"q": "общественный", "limit": 2})).json()
        assert len(page["items"]) == 2
        assert page["next_cursor"] is None

    async def test_a_search_cursor_does_not_fit_the_plain_list(self, orgs, registry):
        page = (await orgs.get("/v1/orgs", params={"q": "а", "limit": 1})).json()
        response = await orgs.get("/v1/orgs", params={"cursor": page["next_cursor"]})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")


class TestFilters:
    async def test_kind(self, orgs, registry):
        assert sorted(await search(orgs, kind="public_council")) == sorted(
            names(registry, "city_council", "ministry_council"))

    async def test_several_kinds(self, orgs, registry):
        assert sorted(await search(orgs, kind=["foundation", "research_education"])) == sorted(
            names(registry, "fund", "university"))

    async def test_level(self, orgs, registry):
        assert sorted(await search(orgs, level="republican")) == sorted(
            names(registry, "ministry", "committee", "fund", "ministry_council", "lawyers"))

    async def test_region_includes_its_districts(self, orgs, registry):
        assert sorted(await search(orgs, region="630000000")) == sorted(
            names(registry, "university", "green", "alumni", "media"))

    async def test_district_alone(self, orgs, registry):
        assert await search(orgs, region="631010000") == [UNIVERSITY]

    async def test_region_does_not_leak_into_neighbours_sharing_a_first_digit(self, orgs, registry):
        assert await search(orgs, region="100000000") == names(registry, "abai")
        assert await search(orgs, region="110000000") == names(registry, "akmola")

    async def test_city_of_republican_significance(self, orgs, registry):
        assert sorted(await search(orgs, region="710000000")) == sorted(
            names(registry, "ministry", "akimat", "committee", "fund", "city_council", "ministry_council"))

    async def test_parent(self, orgs, registry):
        assert await search(orgs, parent_id=registry["ministry"]["id"]) == names(registry, "committee")

    async def test_topic_in_any_case(self, orgs, registry):
        assert await search(orgs, topic="образование") == [UNIVERSITY]
        assert await search(orgs, topic="ЭКОЛОГИЯ") == names(registry, "green")
        assert await search(orgs, topic="спорт") == []

    async def test_attached_to(self, orgs, registry):
        assert await search(orgs, attached_to_id=registry["akimat"]["id"]) == names(registry, "city_council")
        assert await search(orgs, attached_to_id=registry["ministry"]["id"]) == names(registry, "ministry_council")

    async def test_archived_left_out_unless_asked_for(self, orgs, registry):
        assert "Общественный совет упразднённого района" not in await search(orgs)
        assert "Общественный совет упразднённого района" not in await search(orgs, q="общественный")
        assert "Общественный совет упразднённого района" in await search(orgs, q="общественный",
                                                                          include_archived=True)
        assert sorted(await search(orgs, kind="public_council", include_archived=True)) == sorted(
            names(registry, "city_council", "ministry_council", "old_council"))

    async def test_filters_combine_with_search(self, orgs, registry):
        assert await search(orgs, q="общественный", level="republican") == names(registry, "ministry_council")
        assert await search(orgs, q="вкту", region="631010000") == [UNIVERSITY]
        assert await search(orgs, q="вкту", kind="media") == ["ВКТУ-Медиа"]

    async def test_filters_page_like_the_whole_list(self, orgs, registry):
        whole = [o["id"] for o in (await orgs.get("/v1/orgs", params={"region": "710000000"})).json()["items"]]
        served: list[int] = []
        cursor = None
        while True:
            params = {"region": "710000000", "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await orgs.get("/v1/orgs", params=params)).json()
            served += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert served == whole
