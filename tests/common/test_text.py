"""Search folding: the same folded text on every database, whatever its locale."""

import pytest

from services.common.text import fold, like_escape, search_document


class TestFold:
    @pytest.mark.parametrize(
        ("upper", "lower"),
        [("Ә", "ә"), ("Ғ", "ғ"), ("Қ", "қ"), ("Ң", "ң"), ("Ө", "ө"), ("Ұ", "ұ"), ("Ү", "ү"), ("Һ", "һ"), ("І", "і")],
    )
    def test_lowercases_each_kazakh_letter(self, upper, lower):
        assert fold(upper) == lower
        assert fold(lower) == lower

    def test_kazakh_words_in_any_case_fold_alike(self):
        assert fold("ҚАЗАҚСТАН ХАЛҚЫНА") == fold("Қазақстан халқына") == "қазақстан халқына"
        assert fold("ӘДІЛЕТ ҮКІМЕТІ ҰЛТТЫҚ ҒЫЛЫМ ӨҢІР ҺАУА") == "әділет үкіметі ұлттық ғылым өңір һауа"

    def test_keeps_kazakh_letters_distinct_from_russian_ones(self):
        assert fold("Қазақстан") != fold("Казахстан")
        assert fold("І") != fold("И")

    def test_unifies_yo_and_ye(self):
        assert fold("Зелёный ЁЛКА") == "зеленый елка"

    def test_turns_punctuation_and_quotes_into_single_spaces(self):
        assert fold("Фонд «Қазақстан халқына»") == "фонд қазақстан халқына"
        assert fold("ВКТУ им. Д. Серикбаева") == "вкту им д серикбаева"
        assert fold("Восточно-Казахстанский") == "восточно казахстанский"
        assert fold("  snake_case\tand\nlines  ") == "snake case and lines"

    def test_normalizes_compatibility_forms(self):
        assert fold("ＡＢＣ１２３") == "abc123"

    @pytest.mark.parametrize("empty", [None, "", "   ", "«»", "—"])
    def test_nothing_searchable_folds_to_empty(self, empty):
        assert fold(empty) == ""


class TestSearchDocument:
    def test_marks_each_distinct_name_with_a_bar(self):
        assert search_document(["Фонд", None, "ФОНД", "Қор"]) == "| фонд | қор "

    def test_skips_names_with_nothing_searchable(self):
        assert search_document([None, "", "«»"]) == ""


class TestLikeEscape:
    def test_escapes_wildcards_and_the_escape_character(self):
        assert like_escape(r"100%_a\b") == r"100\%\_a\\b"
