"""Search text folding that behaves the same on SQLite and PostgreSQL, whatever their locale."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str | None) -> str:
    """Case-fold (Unicode-aware: Ә Ғ Қ Ң Ө Ұ Ү Һ І too), unify ё/е, and turn punctuation into spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = text.replace("_", " ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def search_document(names: Iterable[str | None]) -> str:
    """All of a record's names, folded, each introduced by '|' so prefix matches can be ranked."""
    parts = [fold(n) for n in names if n]
    return "".join(f"| {p} " for p in dict.fromkeys(p for p in parts if p))


def like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
