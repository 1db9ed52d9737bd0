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
