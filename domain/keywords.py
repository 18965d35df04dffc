"""Keywords: what a friend's text message is compared by (a keyword trigger, an event
condition's `keyword`), normalised so that full-width/half-width, case and spaces do not
matter."""

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator

MAX_KEYWORD = 100  # characters of one keyword
MAX_KEYWORDS = 50  # keywords of one trigger
MAX_WORDS = 100  # words of one message kept in its event's `keywords`
_SPACES = re.compile(r"\s+")
KeywordMatch = Literal["contains", "exact"]


def normalise(text: str) -> str:
    """How messages and keywords are compared: NFKC (full-width ＡＢＣ１２３ and half-width
    ｸｰﾎﾟﾝ become ABC123 and クーポン), case folded, runs of spaces made one, trimmed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", folded).strip()


def _separator(char: str) -> bool:
    # punctuation (ASCII and Japanese: 、。「」・…), symbols (~ ♪ ★ emoji) and spaces;
    # ー (the long vowel mark) is a letter and stays inside its word
    return char.isspace() or unicodedata.category(char)[0] in "PSZC"


def keywords_of(text: str) -> list[str]:
    """A text message's `keywords`: the whole text normalised, then each of its words (split
    on spaces, punctuation and symbols), each once, at most MAX_WORDS of them."""
    whole = normalise(text)
    words = "".join(" " if _separator(char) else char for char in whole).split()
    return list(dict.fromkeys([whole, *words]))[: MAX_WORDS + 1] if whole else []


def keyword_matches(keyword: str, text: str, match: KeywordMatch | None = None) -> bool:
    """Both normalised: the text contains the keyword (`contains`, the default), or is the
    keyword and nothing more (`exact`)."""
    wanted, said = normalise(keyword), normalise(text)
    return said == wanted if match == "exact" else bool(wanted) and wanted in said


def _keyword(value: str) -> str:
    if len(value) > MAX_KEYWORD:
        raise ValueError(f"a keyword must be at most {MAX_KEYWORD} characters (got {len(value)})")
    if not normalise(value):
        raise ValueError("a keyword must not be empty or only spaces")
    return value


Keyword = Annotated[str, AfterValidator(_keyword)]
