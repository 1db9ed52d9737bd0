"""E-mail checking of the CSV import: the shortcut for plain addresses says exactly what EmailStr says."""

from __future__ import annotations

from typing import Any

import email_validator
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, EmailStr, ValidationError
from pydantic.networks import validate_email

from services.contracts import orgs as c
from services.contracts.emails import Email, _plain, normalize_email
from services.orgs import exchange
from tests.orgs.test_exchange import import_csv, org_row, to_csv


class _Before(BaseModel):
    email: EmailStr


class _After(BaseModel):
    email: Email


def verdict(model: type[BaseModel], value: str) -> tuple[str, Any]:
    try:
        return "accepted", model.model_validate({"email": value}).model_dump()["email"]
    except ValidationError as exc:
        return "refused", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]


PLAIN = {  # taken by the shortcut: value → what EmailStr makes of it
    "info@org.kz": "info@org.kz",
    "INFO@Org.KZ": "info@org.kz",  # an RFC 2142 mailbox name is lower-cased, the domain always
    "WebMaster@Gov.Kz": "webmaster@gov.kz",
    "Aigul.Serikova@Mail.Ru": "Aigul.Serikova@mail.ru",  # any other local part keeps its case
    "user+tag@sub.domain.kz": "user+tag@sub.domain.kz",
    "o'neil@x.kz": "o'neil@x.kz",
    "a!#$%&'*+/=?^_`{|}~-@x.kz": "a!#$%&'*+/=?^_`{|}~-@x.kz",
    "x@a-b.kz": "x@a-b.kz",
    "x@1.kz": "x@1.kz",
    "x@a.b.c.d.kz": "x@a.b.c.d.kz",
    "x@a1.k2z": "x@a1.k2z",
    "a" * 64 + "@x.kz": "a" * 64 + "@x.kz",
    "x@" + "d" * 63 + ".kz": "x@" + "d" * 63 + ".kz",
    "x@" + ".".join(["d" * 60] * 4) + ".kzkzkzkz": "x@" + ".".join(["d" * 60] * 4) + ".kzkzkzkz",  # 254 characters
    "x@example.com": "x@example.com",
    "x@testing.kz": "x@testing.kz",  # ends with «test…» but is not under .test
}
OTHER_ACCEPTED = {  # left to email_validator, still accepted
    "Айгүл <info@org.kz>": "info@org.kz",
    "Aigul Serikova <Aigul@Org.KZ>": "Aigul@org.kz",
    "  info@org.kz  ": "info@org.kz",
    "ақпарат@мысал.қаз": "ақпарат@мысал.қаз",
    "info@ДОМЕН.РФ": "info@домен.рф",
    "info@xn--d1acufc.xn--p1ai": "info@домен.рф",
    "a" * 65 + "@x.kz": "a" * 65 + "@x.kz",  # the library limits the local part only in strict mode
}
REFUSED = [
    "", "not-an-address", "@x.kz", "a@", "a@b", "a@localhost", "a@x.local", "a@x.test", "a@x.invalid",
    "a@x.onion", "a@x.arpa", "a@Mail.LOCAL", "a@b.123", "a..b@x.kz", ".a@x.kz", "a.@x.kz", "a@-x.kz", "a@x-.kz",
    "a@x..kz", "a@.x.kz", "a@x.kz.", "a@ab--cd.kz", "a@xn--zz.kz", "a@x.k-", "a b@x.kz", "a@b@c.kz",
    '"quoted"@x.kz', "a@[127.0.0.1]", "a@x.kz\n", "a\x00@x.kz", "x@" + "d" * 64 + ".kz",
    "x@" + ".".join(["d" * 60] * 4) + ".kzkzkzkzz", "a@x_y.kz", "a@x,y.kz", "a(b)@x.kz", "a@x.kz>", "<a@x.kz",
]


@pytest.mark.parametrize("value", list(PLAIN))
def test_plain_addresses_take_the_shortcut_with_the_same_result(value: str) -> None:
    assert _plain(value) == PLAIN[value]
    assert validate_email(value)[1] == PLAIN[value]
    assert verdict(_After, value) == verdict(_Before, value) == ("accepted", PLAIN[value])


@pytest.mark.parametrize("value", list(OTHER_ACCEPTED))
def test_other_accepted_addresses_are_left_to_email_validator(value: str) -> None:
    assert _plain(value) is None
    assert verdict(_After, value) == verdict(_Before, value) == ("accepted", OTHER_ACCEPTED[value])


@pytest.mark.parametrize("value", REFUSED)
def test_refused_addresses_are_refused_with_the_same_message(value: str) -> None:
    assert _plain(value) is None
    before = verdict(_Before, value)
    assert before[0] == "refused"
    assert verdict(_After, value) == before


def test_the_special_use_list_is_read_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _plain("a@x.kz") == "a@x.kz"
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", [*email_validator.SPECIAL_USE_DOMAIN_NAMES, "kz"])
    assert _plain("a@x.kz") is None
    assert verdict(_After, "a@x.kz") == verdict(_Before, "a@x.kz")
    assert verdict(_After, "a@x.kz")[0] == "refused"


def test_the_json_schema_is_that_of_emailstr() -> None:
    assert _After.model_json_schema()["properties"]["email"] == {"format": "email", "title": "Email",
                                                                 "type": "string"}


_ATEXT = "abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-"
_local = st.lists(st.text(st.sampled_from(_ATEXT + '"\\ ().,;:<>@[]әЁ\u0301'), min_size=0, max_size=12),
                  min_size=1, max_size=4).map(".".join)
_label = st.one_of(
    st.text(st.sampled_from("abzAZ09-"), min_size=0, max_size=8),
    st.sampled_from(["xn--p1ai", "xn--d1acufc", "xn--zz", "ab--cd", "a--b", "-a", "a-", "d" * 63, "d" * 64,
                     "мысал", "ＡＢ", "a_b", "localhost"]),
)
_tld = st.one_of(st.sampled_from(["kz", "KZ", "ru", "com", "k2z", "123", "k-", "local", "test", "invalid", "onion",
                                  "arpa", "localhost", "xn--p1ai", "рф", "", "a"]), _label)
_domain = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, max_size=4), _tld)
_address = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", _local, _domain),
    st.text(st.sampled_from(_ATEXT + '."@ <>әЁ\u0301'), max_size=30),
    st.builds(lambda local, domain, pad: f"{local * pad}@{domain}", _local, _domain, st.integers(1, 40)),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_address)
def test_generated_addresses_get_the_same_verdict(value: str) -> None:
    plain = _plain(value)
    if plain is not None:  # the shortcut's promise: email_validator accepts it, with the same normalized form
        assert validate_email(value)[1] == plain
    assert verdict(_After, value) == verdict(_Before, value)
    try:
        expected: Any = validate_email(value)[1]
    except ValueError as exc:
        expected = str(exc)
    try:
        assert normalize_email(value) == expected
    except ValueError as exc:
        assert str(exc) == expected


def test_the_import_model_checks_like_the_contract() -> None:
    """The import validates rows with OrgCreate whose contacts.email is `Email`: same answers, errors and all."""
    documents = [
        {"kind": "ngo", "level": "regional", "names": {"ru": "Фонд"}, "contacts": {"email": value}}
        for value in [*PLAIN, *OTHER_ACCEPTED, *REFUSED]
    ] + [{"kind": "ministry", "level": "regional", "names": {"ru": "Фонд"}, "contacts": {"email": "bad"}},
         {"kind": "ngo", "level": "x", "names": {"ru": ""}, "bin": "123", "contacts": {"email": "a@x.kz"}}]
    for document in documents:
        outcomes = []
        for model in (c.OrgCreate, exchange.ImportedOrg):
            try:
                outcomes.append(("accepted", model.model_validate(document).model_dump()))
            except ValidationError as exc:
                outcomes.append(("refused", [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]))
        assert outcomes[0] == outcomes[1], document


class TestImportEmails:
    async def test_bad_addresses_are_reported_and_good_ones_stored_as_emailstr_stores_them(self, orgs, coordinator):
        good = {"Фонд А": "INFO@Org.KZ", "Фонд Б": "Aigul <Aigul.S@Mail.Ru>", "Фонд В": "ақпарат@мысал.қаз",
                "Фонд Г": "o'neil+kz@sub.gov.kz"}
        bad = {"Плохой А": "info@org", "Плохой Б": "info@localhost", "Плохой В": "a..b@org.kz",
               "Плохой Г": "info@org.local", "Плохой Д": "info@ab--cd.kz"}
        columns = ["name_ru", "kind", "level", "region_code", "email"]
        rows = [org_row(name_ru=name, email=email) for name, email in {**good, **bad}.items()]
        body, lines = to_csv(rows, columns)
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        expected = []
        for line, email in zip(lines[len(good):], bad.values(), strict=True):
            message = verdict(_Before, email)[1][0][2]
            expected.append({"line": line, "errors": [{"field": "email", "message": message}]})
        assert report["bad_rows"] == expected
        assert all(e["errors"][0]["message"].startswith("value is not a valid email address: ") for e in expected)

        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert (await orgs.get("/v1/orgs")).json()["items"] == []

        body, _ = to_csv(rows[:len(good)], columns)
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.json()["created"] == len(good), r.text
        stored = {o["names"]["ru"]: o["contacts"]["email"] for o in (await orgs.get("/v1/orgs")).json()["items"]}
        assert stored == {name: verdict(_Before, email)[1] for name, email in good.items()}
        assert stored["Фонд А"] == "info@org.kz" and stored["Фонд Б"] == "Aigul.S@mail.ru"
