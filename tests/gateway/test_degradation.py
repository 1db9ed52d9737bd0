"""One upstream down: the pages that need only the other still work, and say plainly what is missing."""

from __future__ import annotations

import pytest

from tests.dialogue.helpers import state_body
from tests.gateway.helpers import build_world, visible_text

ALL_PAGES = ["/", "/sessions", "/recommendations", "/orgs", "/councils", "/open-data", "/login"]


@pytest.fixture
async def world(orgs, dialogue):
    return await build_world(orgs, dialogue)


class TestDialogueDown:
    async def test_registry_pages_still_work(self, gateway_without_dialogue, world):
        r = await gateway_without_dialogue.get("/orgs", params={"q": "вкту"})
        assert r.status_code == 200
        assert f'href="/orgs/{world.vktu}"' in r.text
        r = await gateway_without_dialogue.get("/councils")
        assert r.status_code == 200 and "Общественный совет ВКО" in r.text

    async def test_org_page_works_and_says_what_is_missing(self, gateway_without_dialogue, world):
        r = await gateway_without_dialogue.get(f"/orgs/{world.akimat}")
        assert r.status_code == 200
        text = visible_text(r.text)
        assert "Акимат Восточно-Казахстанской области" in text
        assert "Недоступно: сервис диалогов не отвечает." in text
        assert "Сервис диалогов (мероприятия, протоколы, рекомендации) сейчас не отвечает" in text

    async def test_session_pages_say_the_service_is_unavailable(self, gateway_without_dialogue, world):
        for path in ["/sessions", f"/sessions/{world.session['id']}", "/recommendations",
                     f"/recommendations/{world.answered['id']}"]:
            r = await gateway_without_dialogue.get(path, params={"lang": "kk"})
            assert r.status_code in (200, 503), path
            assert "Диалог қызметі" in r.text, path
            assert "Traceback" not in r.text

    async def test_no_page_is_a_500(self, gateway_without_dialogue, world):
        for path in [*ALL_PAGES, f"/orgs/{world.council}", f"/sessions/{world.session['id']}",
                     "/open-data/recommendations.csv", "/open-data/organizations.csv"]:
            r = await gateway_without_dialogue.get(path)
            assert r.status_code in (200, 503), (path, r.status_code)

    async def test_home_shows_what_it_can(self, gateway_without_dialogue, world):
        r = await gateway_without_dialogue.get("/", params={"lang": "en"})
        assert r.status_code == 200
        assert "Not available: the dialogue service is not answering." in r.text

    async def test_htmx_fragment_says_so_too(self, gateway_without_dialogue, world):
        r = await gateway_without_dialogue.get("/sessions", params={"q": "x"},
                                               headers={"HX-Request": "true", "HX-Target": "results"})
        assert "<html" not in r.text
        assert "Недоступно: сервис диалогов не отвечает." in r.text


class TestOrgsDown:
    async def test_session_pages_still_work(self, gateway_without_orgs, world):
        r = await gateway_without_orgs.get(f"/sessions/{world.session['id']}")
        assert r.status_code == 200
        text = visible_text(r.text)
        assert "Поиск системного взаимодействия" in text
        assert "Протокол № 1" in text
        assert f"Организация № {world.vktu}" in text  # the organizer's name is missing, its page still linked
        assert "Реестр организаций сейчас не отвечает" in text

    async def test_recommendations_still_work(self, gateway_without_orgs, world):
        r = await gateway_without_orgs.get("/recommendations")
        assert r.status_code == 200
        assert "Рекомендовать модель Ashyq как пилот" in visible_text(r.text)
        r = await gateway_without_orgs.get(f"/recommendations/{world.answered['id']}")
        assert r.status_code == 200
        assert "Включено в план акимата" in visible_text(r.text)

    async def test_registry_pages_say_the_registry_is_unavailable(self, gateway_without_orgs, world):
        for path in ["/orgs", f"/orgs/{world.akimat}", "/councils"]:
            r = await gateway_without_orgs.get(path, params={"lang": "en"})
            assert r.status_code in (200, 503), path
            assert "registry" in r.text, path

    async def test_no_page_is_a_500(self, gateway_without_orgs, world):
        for path in [*ALL_PAGES, f"/orgs/{world.akimat}", f"/sessions/{world.session['id']}",
                     f"/recommendations/{world.overdue['id']}", "/open-data/organizations.csv",
                     "/open-data/popolo.json", "/open-data/recommendations.csv"]:
            r = await gateway_without_orgs.get(path)
            assert r.status_code in (200, 503), (path, r.status_code)

    async def test_sign_in_says_it_is_unavailable(self, gateway_without_orgs):
        from tests.gateway.helpers import sign_in

        r = await sign_in(gateway_without_orgs, "someone", "a password of some length")
        assert r.status_code == 503
        assert "Реестр организаций временно недоступен" in r.text


class TestUpstreamProblems:
    async def test_an_upstream_404_is_our_404_page(self, gateway, world):
        r = await gateway.get("/orgs/99999")
        assert r.status_code == 404
        assert "Страница не найдена" in r.text

    async def test_a_state_body_with_nothing_yet_renders(self, gateway, orgs, dialogue):
        body = await state_body(orgs, "Маслихат ВКО")
        r = await gateway.get(f"/orgs/{body}")
        assert r.status_code == 200
        assert "Этой организации рекомендации не направлялись." in r.text
