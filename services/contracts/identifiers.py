"""Kazakhstan's identifiers: BIN / IIN (12 digits with a check digit) and KATO codes."""

# Record ids are 32-bit integers (PostgreSQL `integer`): a larger one names no record and cannot even be stored.
MAX_RECORD_ID = 2**31 - 1

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The official check digit for the first 11 digits, or None when no digit can make it valid."""
    digits = [int(c) for c in first11]
    value = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
        if value == 10:
            return None
    return value


def bin_problem(value: str) -> str | None:
    """Why `value` is not a valid BIN/IIN, or None when it is."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return "must be exactly 12 digits"
    expected = check_digit(value[:11])
    if expected is None or expected != int(value[11]):
        return "check digit does not match: not a valid BIN/IIN"
    return None


def kato_problem(value: str) -> str | None:
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return "must be a 9-digit KATO code"
    return None
