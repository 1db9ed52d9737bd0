"""Keyset cursors: opaque, round-tripping, and a 422 problem when they are not ours."""

import base64
import json

import pytest

from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import ProblemError, Unprocessable


class TestCursor:
    def test_round_trips_sort_keys(self):
        key = [2, "қазақстан халқына", 42]
        assert decode_cursor(encode_cursor(key), 3) == key

    def test_is_url_safe_without_padding(self):
        cursor = encode_cursor(["ёлка ///???", 1])
        assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    @pytest.mark.parametrize(
        "cursor",
        [
            "!!!",
            "not-base64-json",
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
            base64.urlsafe_b64encode(b'{"a": 1}').decode(),
            base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
            base64.urlsafe_b64encode(json.dumps("x").encode()).decode(),
        ],
    )
    def test_malformed_cursor_is_a_422_problem_naming_cursor(self, cursor):
        with pytest.raises(Unprocessable) as raised:
            decode_cursor(cursor, 2)
        problem = raised.value
        assert isinstance(problem, ProblemError)
        body = problem.body()
        assert body["status"] == 422
        assert body["type"].startswith("https://")
        assert body["title"]
        assert [e["field"] for e in body["errors"]] == ["cursor"]

    def test_checks_value_types_when_told_them(self):
        assert decode_cursor(encode_cursor([2, "ашық", 7]), 3, [int, str, int]) == [2, "ашық", 7]

    @pytest.mark.parametrize(
        "values",
        [
            ["ашық", "7"],  # an id as text
            [1, 7],  # a name as a number
            [None, 7],
            ["ашық", True],  # JSON true is not an id
            ["ашық", 2**31],  # beyond a 32-bit id column
            ["ашық", 7.5],
            [["ашық"], {"id": 7}],
        ],
    )
    def test_tampered_cursor_with_wrong_types_is_a_422_problem(self, values):
        with pytest.raises(Unprocessable) as raised:
            decode_cursor(encode_cursor(values), 2, [str, int])
        assert [e["field"] for e in raised.value.body()["errors"]] == ["cursor"]

    def test_without_types_only_the_shape_is_checked(self):
        assert decode_cursor(encode_cursor(["x", "y"]), 2) == ["x", "y"]
