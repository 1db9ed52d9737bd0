"""BIN / IIN check digits and KATO codes, as the official algorithm defines them."""

import pytest

from services.contracts.identifiers import bin_problem, check_digit, kato_problem

FIRST_WEIGHTS = range(1, 12)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def weighted(first11: str, weights) -> int:
    """Σ dᵢ·wᵢ mod 11, written out here so the examples below show why they are chosen."""
    return sum(int(d) * w for d, w in zip(first11, weights, strict=True)) % 11


class TestBinCheckDigit:
    def test_accepts_real_bin(self):
        assert bin_problem("000740000728") is None
        assert check_digit("00074000072") == 8

    def test_accepts_real_iin(self):
        assert bin_problem("061211600012") is None

    def test_rejects_bin_with_wrong_check_digit(self):
        assert bin_problem("000740000729") == "check digit does not match: not a valid BIN/IIN"

    @pytest.mark.parametrize("digit", [d for d in "0123456789" if d != "8"])
    def test_rejects_every_other_check_digit(self, digit):
        assert bin_problem("00074000072" + digit) is not None

    def test_uses_second_weights_when_first_give_ten(self):
        first11 = "88051430070"
        assert weighted(first11, FIRST_WEIGHTS) == 10
        assert weighted(first11, SECOND_WEIGHTS) == 5
        assert check_digit(first11) == 5
        assert bin_problem("880514300705") is None
        assert bin_problem("880514300700") is not None  # 10 mod 10 would be the naive (wrong) digit

    def test_no_digit_is_valid_when_both_weightings_give_ten(self):
        first11 = "88051430078"
        assert weighted(first11, FIRST_WEIGHTS) == 10
        assert weighted(first11, SECOND_WEIGHTS) == 10
        assert check_digit(first11) is None
        assert all(bin_problem(first11 + str(d)) is not None for d in range(10))

    @pytest.mark.parametrize("value", ["", "00074000072", "0007400007280", "00074000072a", "٠٠٠٧٤٠٠٠٠٧٢٨",
                                       " 000740000728"])
    def test_rejects_anything_but_twelve_ascii_digits(self, value):
        assert bin_problem(value) == "must be exactly 12 digits"


class TestKatoCode:
    def test_accepts_nine_digits(self):
        assert kato_problem("630000000") is None

    @pytest.mark.parametrize("value", ["63000000", "6300000000", "63000000x", "６３０００００００"])
    def test_rejects_anything_but_nine_ascii_digits(self, value):
        assert kato_problem(value) == "must be a 9-digit KATO code"
