"""Reads carry what was checked when written: a page of organizations or people is not checked again.

The gateway parses every organization a page names; running the e-mail validator and the BIN check digit for
each of them on every view was most of a page's time. Writes still check both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.contracts.orgs import OrgCreate, OrgRead, PersonCreate, PersonRead

STORED = {
    "id": 7, "kind": "ngo", "level": "regional", "names": {"ru": "Фонд"}, "name": "Фонд", "is_archived": False,
    "is_active": True, "version": 1, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
}


def test_an_organization_is_read_as_stored() -> None:
    org = OrgRead.model_validate({**STORED, "bin": "123456789012", "contacts": {"email": "office at fund"}})
    assert org.bin == "123456789012"
    assert org.contacts.email == "office at fund"


def test_writes_still_check_the_bin_and_the_e_mail() -> None:
    base = {"kind": "ngo", "level": "regional", "names": {"ru": "Фонд"}}
    with pytest.raises(ValidationError, match="check digit"):
        OrgCreate.model_validate({**base, "bin": "123456789012"})
    with pytest.raises(ValidationError, match="email"):
        OrgCreate.model_validate({**base, "contacts": {"email": "office at fund"}})
    with pytest.raises(ValidationError, match="email"):
        PersonCreate.model_validate({"family_name": "Ахметова", "given_name": "Айгерим",
                                     "contacts": {"email": "no-at-sign"}})


def test_a_person_is_read_as_stored() -> None:
    person = PersonRead.model_validate({"id": 1, "family_name": "Ахметова", "given_name": "Айгерим",
                                        "full_name": "Ахметова Айгерим", "is_archived": False, "version": 1,
                                        "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
                                        "contacts": {"email": "legacy", "iin": "000000000001"}})
    assert person.contacts is not None and person.contacts.email == "legacy"


def test_the_schema_still_says_e_mail() -> None:
    schema = OrgRead.model_json_schema()
    email = schema["$defs"]["OrgContactsRead"]["properties"]["email"]
    assert {"type": "string", "format": "email"} in email["anyOf"]
