"""The public portal and registry pages: languages, htmx fragments, escaping, no personal data, search."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.gateway.helpers import PERSON_EMAIL, PERSON_IIN, PERSON_PHONE, XSS, build_world, visible_text

PAGES = ["/", "/sessions", "/recommendations", "/orgs", "/councils", "/open-data", "/login"]
# One word of the navigation in each language: the page really is translated, not just labelled.
NAV_WORD = {"ru": "Организации", "kk": "Ұйымдар", "en": "Organizations"}


def assert_full_page(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith("<!doctype html>")
    assert "HX-Request" in r.headers["vary"]


@pytest.fixture
async def world(orgs, dialogue):
    return await build_world(orgs, dialogue)


class TestLanguages:
    @pytest.mark.parametrize("lang", ["ru", "kk", "en"])
    async def test_every_page_renders_in_each_language(self, gateway, world, lang):
        detail_pages = [f"/sessions/{world.session['id']}", f"/recommendations/{world.answered['id']}",
                        f"/orgs/{world.akimat}", f"/orgs/{world.council}"]
        for path in PAGES + detail_pages:
            r = await gateway.get(path, params={"lang": lang})
            assert_full_page(r)
            assert f'<html lang="{lang}">' in r.text, path
            assert NAV_WORD[lang] in r.text, path
            assert r.headers["content-language"] == lang

    async def test_russian_is_the_default(self, gateway):
        r = await gateway.get("/")
        assert '<html lang="ru">' in r.text
        assert "Главная" in r.text

    async def test_accept_language_picks_kazakh(self, gateway):
        r = await gateway.get("/", headers={"Accept-Language": "kk-KZ,kk;q=0.9,ru;q=0.8"})
        assert '<html lang="kk">' in r.text
        assert "Басты бет" in r.text

    async def test_choice_is_remembered_in_a_cookie(self, gateway):
        r = await gateway.get("/orgs", params={"lang": "en"})
        assert "ashyq_lang=en" in r.headers["set-cookie"]
        r = await gateway.get("/sessions", headers={"Accept-Language": "ru"})
        assert '<html lang="en">' in r.text

    async def test_switcher_links_keep_the_query(self, gateway):
        r = await gateway.get("/orgs", params={"q": "акимат", "kind": "state_body"})
        assert 'href="/orgs?q=%D0%B0%D0%BA%D0%B8%D0%BC%D0%B0%D1%82&amp;kind=state_body&amp;lang=kk"' in r.text

    async def test_names_come_in_the_chosen_language(self, gateway, world):
        r = await gateway.get(f"/orgs/{world.akimat}", params={"lang": "kk"})
        assert "<h1>Шығыс Қазақстан облысының әкімдігі</h1>" in r.text
        r = await gateway.get(f"/orgs/{world.akimat}", params={"lang": "en"})
        assert "<h1>Akimat of East Kazakhstan Region</h1>" in r.text

    async def test_times_are_shown_in_almaty_and_dates_per_locale(self, gateway, world):
        ru = visible_text((await gateway.get(f"/sessions/{world.session['id']}", params={"lang": "ru"})).text)
        assert "14 октября 2025 г., 10:00" in ru
        kk = visible_text((await gateway.get(f"/sessions/{world.session['id']}", params={"lang": "kk"})).text)
        assert "2025 ж. 14 қазан, 10:00" in kk
        en = visible_text((await gateway.get(f"/sessions/{world.session['id']}", params={"lang": "en"})).text)
        assert "October 14, 2025, 10:00" in en


class TestFragments:
    async def test_htmx_request_gets_only_the_results_block(self, gateway, world):
        r = await gateway.get("/orgs", params={"q": "вкту"}, headers={"HX-Request": "true", "HX-Target": "results"})
        assert r.status_code == 200
        assert "<html" not in r.text and "<form" not in r.text
        assert "Серикбаева" in r.text
        assert "HX-Request" in r.headers["vary"]

    async def test_the_same_url_without_htmx_is_the_whole_page(self, gateway, world):
        r = await gateway.get("/orgs", params={"q": "вкту"})
        assert_full_page(r)
        assert 'id="results"' in r.text and "Серикбаева" in r.text
        assert 'hx-trigger="input changed delay:250ms, search"' in r.text

    @pytest.mark.parametrize("path", ["/sessions", "/recommendations", "/councils"])
    async def test_every_filtered_list_swaps_its_results(self, gateway, world, path):
        r = await gateway.get(path, headers={"HX-Request": "true", "HX-Target": "results"})
        assert r.status_code == 200
        assert "<html" not in r.text and "<nav class=\"main-nav\"" not in r.text

    async def test_history_restore_gets_the_whole_page(self, gateway, world):
        r = await gateway.get("/orgs", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
        assert_full_page(r)

    async def test_htmx_is_served_from_the_pinned_package(self, gateway):
        page = (await gateway.get("/")).text
        src = re.search(r'<script src="([^"]+htmx[^"]+)"', page)[1]
        assert src == "/static/vendor/htmx.org/dist/htmx.min.js"
        r = await gateway.get(src)
        assert r.status_code == 200
        assert 'version:"2.0.11"' in r.text.replace(" ", "") or "2.0.11" in r.text


class TestSearchAsYouType:
    async def test_finds_vktu_by_its_abbreviation_in_lower_case(self, gateway, world):
        r = await gateway.get("/orgs", params={"q": "вкту"}, headers={"HX-Request": "true", "HX-Target": "results"})
        assert f'href="/orgs/{world.vktu}"' in r.text
        assert f'href="/orgs/{world.akimat}"' not in r.text

    async def test_finds_kazakh_names_whatever_the_case(self, gateway, world):
        r = await gateway.get("/orgs", params={"q": "қазақстан"}, headers={"HX-Request": "true",
                                                                          "HX-Target": "results"})
        assert f'href="/orgs/{world.fund}"' in r.text  # «Қазақстан халқына»
        assert f'href="/orgs/{world.akimat}"' in r.text  # Шығыс Қазақстан облысының әкімдігі (kk name)
        assert f'href="/orgs/{world.ministry}"' not in r.text

    async def test_filters_by_kind(self, gateway, world):
        r = await gateway.get("/orgs", params={"kind": "state_body"})
        assert f'href="/orgs/{world.akimat}"' in r.text and f'href="/orgs/{world.ministry}"' in r.text
        assert f'href="/orgs/{world.vktu}"' not in r.text

    async def test_nonsense_filters_are_ignored_not_an_error(self, gateway, world):
        r = await gateway.get("/orgs", params={"kind": "nonsense", "region": "abc", "cursor": "!!"})
        assert r.status_code == 200


class TestEscaping:
    async def test_a_script_name_is_shown_as_text_everywhere(self, gateway, world):
        paths = ["/", "/sessions", "/orgs", f"/orgs/{world.xss_org}", f"/orgs/{world.council}",
                 f"/sessions/{world.session['id']}", "/recommendations", f"/recommendations/{world.overdue['id']}",
                 "/councils"]
        for path in paths:
            for lang in ("ru", "kk"):
                r = await gateway.get(path, params={"lang": lang})
                assert r.status_code == 200, path
                assert "<script>alert(1)</script>" not in r.text, path
                assert "<script" not in r.text.replace('<script src="/static/vendor/htmx.org/dist/htmx.min.js" '
                                                       'defer></script>', ""), path
        org_page = (await gateway.get(f"/orgs/{world.xss_org}")).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in org_page

    async def test_fragments_are_escaped_too(self, gateway, world):
        r = await gateway.get("/orgs", params={"q": "script"}, headers={"HX-Request": "true",
                                                                         "HX-Target": "results"})
        assert XSS not in r.text
        assert "&lt;script&gt;" in r.text


class TestNoPersonalData:
    async def test_no_page_shows_a_persons_contacts(self, gateway, world):
        paths = ["/", "/sessions", "/recommendations", "/orgs", "/councils", f"/orgs/{world.council}",
                 f"/orgs/{world.xss_org}", f"/sessions/{world.session['id']}",
                 f"/recommendations/{world.answered['id']}"]
        for path in paths:
            for lang in ("ru", "kk", "en"):
                page = (await gateway.get(path, params={"lang": lang})).text
                for secret in (PERSON_EMAIL, PERSON_PHONE, PERSON_IIN, "701 555"):
                    assert secret not in page, (path, secret)

    async def test_people_are_named_as_members_and_speakers(self, gateway, world):
        council = visible_text((await gateway.get(f"/orgs/{world.council}")).text)
        assert "Нургазиева Бану" in council
        session = visible_text((await gateway.get(f"/sessions/{world.session['id']}")).text)
        assert "Нургазиева Бану" in session


class TestPortal:
    async def test_home_shows_sessions_answers_and_responsiveness(self, gateway, world):
        text = visible_text((await gateway.get("/", params={"lang": "ru"})).text)
        assert "Поиск системного взаимодействия" in text
        assert "Включено в план акимата" not in text  # reasons are on the recommendation's page
        assert "Рекомендовать модель Ashyq как пилот" in text
        assert "Как отвечают государственные органы" in text

    async def test_session_page_has_agenda_attendance_protocol_and_recommendations(self, gateway, world):
        text = visible_text((await gateway.get(f"/sessions/{world.session['id']}", params={"lang": "ru"})).text)
        # 35 and 46 counted by head; one participant registered by name from civil society.
        assert re.search(r"Государственные органы 0 35 Гражданское общество 1 4\d Всего 1 8\d", text)
        for expected in ("Повестка", "Модель Ashyq", "Участники по секторам",
                         "Протокол № 1", "Слушали", "Решили", "Рекомендовать модель",
                         "Рекомендации мероприятия", "Рекомендовать модель Ashyq как пилот"):
            assert expected in text, expected

    async def test_recommendation_page_has_answers_with_reasons(self, gateway, world):
        text = visible_text((await gateway.get(f"/recommendations/{world.answered['id']}")).text)
        assert "Акимат Восточно-Казахстанской области" in text
        assert "Принята" in text and "Включено в план акимата" in text

    async def test_overdue_recommendations_come_first(self, gateway, world):
        page = (await gateway.get("/recommendations")).text
        assert page.index(f"/recommendations/{world.overdue['id']}") < page.index(
            f"/recommendations/{world.answered['id']}")
        only = (await gateway.get("/recommendations", params={"overdue": "1"})).text
        assert f"/recommendations/{world.answered['id']}" not in only

    async def test_org_page_counts_answers_on_time_and_overdue(self, gateway, world):
        akimat = (await gateway.get(f"/orgs/{world.akimat}", params={"lang": "en"})).text
        assert re.search(r"Answered on time</dt><dd class=\"good\">1<", akimat)
        ministry = (await gateway.get(f"/orgs/{world.ministry}", params={"lang": "en"})).text
        assert re.search(r"Overdue</dt><dd class=\"bad\">1<", ministry)

    async def test_council_page_shows_composition_findings_translated(self, gateway, world):
        text = visible_text((await gateway.get(f"/orgs/{world.council}", params={"lang": "kk"})).text)
        assert "Құрамды тексеру" in text
        assert "Бұзушылық" in text

    async def test_unknown_pages_are_a_translated_404(self, gateway, world):
        r = await gateway.get("/sessions/999999", params={"lang": "kk"})
        assert r.status_code == 404
        assert "Бет табылмады" in r.text
        r = await gateway.get("/nowhere", params={"lang": "ru"})
        assert r.status_code == 404 and "Страница не найдена" in r.text

    async def test_a_mangled_address_is_a_page_not_json(self, gateway):
        r = await gateway.get("/sessions/abc")
        assert r.status_code in (400, 404)
        assert r.headers["content-type"].startswith("text/html")


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", ["/", "/orgs", "/static/css/ashyq.css", "/nowhere", "/livez"])
    async def test_every_response_carries_them(self, gateway, path):
        r = await gateway.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"

    async def test_pages_have_no_inline_scripts_or_styles(self, gateway, world):
        for path in ["/", f"/sessions/{world.session['id']}", f"/orgs/{world.akimat}", "/login"]:
            page = (await gateway.get(path)).text
            assert " style=" not in page and "<style" not in page
            for tag in re.findall(r"<script[^>]*>", page):
                assert 'src="/static/' in tag
            assert "hx-on" not in page and "onclick" not in page

    async def test_htmx_is_configured_for_the_csp(self, gateway):
        page = (await gateway.get("/")).text
        meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)[1]
        assert '"includeIndicatorStyles":false' in meta and '"allowEval":false' in meta
