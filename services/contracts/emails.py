"""E-mail addresses checked exactly like pydantic's `EmailStr`, with a shortcut for plain ASCII ones.

`EmailStr` hands every value to `email_validator` (Unicode normalization, IDNA/UTS-46 mapping of the
domain, special-use names, lengths): about 0.1 ms each — most of the contract check of a 20,000-row
import. Nearly every real address is plain ASCII (`info@org.kz`), and for those the library's answer
follows from a handful of rules that a regular expression and three comparisons decide:

* the local part is a dot-atom of RFC 5322 `atext` (the library's own DOT_ATOM_TEXT), at most 64
  characters (the library's limit in strict mode, so its settings cannot make it stricter than us);
* the domain is at least two LDH labels of 1-63 characters that neither start nor end with a hyphen,
  the last one ending with a letter, with no `--` anywhere (so neither Punycode nor R-LDH labels,
  which the library treats specially);
* the whole address has at most 254 characters and no display name, spaces or quotes;
* the domain is not one of `email_validator.SPECIAL_USE_DOMAIN_NAMES` nor under one (the list is read on
  every call, as the library does, so a test environment that changes it changes both alike).

For such an address the library accepts and returns the local part unchanged (lower-cased when it is
one of RFC 2142's mailbox names, `INFO@…` → `info@…`) and the domain lower-cased by UTS-46. Anything
else — an error, a display name, Unicode, Punycode — goes to pydantic's own `validate_email`, so the
accepted values, the normalized values and the error messages are those of `EmailStr`
(tests/orgs/test_import_emails.py compares both on fixed cases and on generated ones).
"""

from __future__ import annotations

import re
from typing import Annotated

import email_validator
from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LAST_LABEL = r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
_PLAIN = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+{_LAST_LABEL})")
_MAX_LENGTH = 254  # email_validator.rfc_constants.EMAIL_MAX_LENGTH
_MAX_LOCAL_LENGTH = 64  # …LOCAL_PART_MAX_LENGTH
# email_validator.rfc_constants.CASE_INSENSITIVE_MAILBOX_NAMES (RFC 2142)
_MAILBOX_NAMES = frozenset({"info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster",
                            "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp"})


def _plain(value: str) -> str | None:
    """The normalized address when `value` is a plain ASCII one, else None (not a verdict)."""
    if len(value) > _MAX_LENGTH or (match := _PLAIN.fullmatch(value)) is None:
        return None
    local, domain = match.groups()
    domain = domain.lower()
    if len(local) > _MAX_LOCAL_LENGTH or "--" in domain:
        return None
    for special in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        if domain == special or domain.endswith("." + special):
            return None
    if local.lower() in _MAILBOX_NAMES:
        local = local.lower()
    return f"{local}@{domain}"


def normalize_email(value: str) -> str:
    """What `EmailStr` makes of `value`; raises the same PydanticCustomError when it refuses it."""
    plain = _plain(value)
    return plain if plain is not None else validate_email(value)[1]


Email = Annotated[str, AfterValidator(normalize_email), WithJsonSchema({"type": "string", "format": "email"})]
"""A drop-in for `pydantic.EmailStr`: the same values accepted, normalized and refused."""
