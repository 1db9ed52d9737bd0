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


# --- the word-prefix index of search as you type -------------------------------------------------
#
# Database triggers (migration 8c4f2a61d9e3 of the orgs service) derive these from a record's search
# document, in SQL, on SQLite and PostgreSQL alike; the two functions below say the same in Python and
# are what the tests hold the triggers to.

SEARCH_TERM_LENGTH = 32  # characters of a name kept from each word onwards; longer queries are rechecked
INSIDE_WORD_MIN = 3  # a query word this long may match inside a word; a shorter one only where a word starts
NAME_START, WORD_START = 1, 2  # kinds of term: the first word of a name, any later word of it


def search_terms(document: str) -> set[tuple[int, str]]:
    """(kind, term) for every word of every name in `document`: the name from that word on, cut to
    SEARCH_TERM_LENGTH characters (and of any space the cut leaves at the end)."""
    out: set[tuple[int, str]] = set()
    for name in document.split("|"):
        words = [w for w in name.split(" ") if w]
        for k in range(len(words)):
            out.add((NAME_START if k == 0 else WORD_START, " ".join(words[k:])[:SEARCH_TERM_LENGTH].rstrip(" ")))
    return out


def search_words(document: str) -> set[str]:
    """The distinct words of `document` (the first word of each term: cut to SEARCH_TERM_LENGTH characters)."""
    return {w[:SEARCH_TERM_LENGTH] for w in document.replace("|", " ").split(" ") if w}
