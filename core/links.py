"""Tracked links: find the https URLs a user can tap in LINE messages, and swap them for others.

Pure standard library: imported inside Temporal workflows (through `imports_passed_through`) and
by activities. Functions never mutate their input.

Where URLs are looked for:

* the `text` of `text` and `textV2` messages (the top-level message only: text inside flex
  components or templates is not a link in LINE);
* the `uri` of every action with `"type": "uri"`, wherever it sits in the message (template
  actions and `defaultAction`, quick-reply items, flex `action` / `defaultAction`), and the
  `linkUri` of imagemap actions with `"type": "uri"`.

Only `https://` URLs (lower-case scheme) are tracked; `http://`, `line://` and `tel:` are left
alone, and so is `altUri.desktop`. Action URIs are compared as whole strings.

A URL in text starts at `https://` and runs until whitespace, an ASCII `<`, `>`, `"`, `'` or
backtick, a control character, or any non-ASCII character (Japanese copy puts kana and
full-width punctuation right against URLs: `詳しくはhttps://shop.example/sale。`). Trailing
`.`, `,`, `;`, `:`, `!`, `?` are sentence punctuation, not part of the URL, and so is a trailing
`)` or `]` that has no opening partner inside the URL (`(https://a.jp/x)` → `https://a.jp/x`, but
`https://a.jp/wiki/Foo_(bar)` keeps its parenthesis). URLs are never normalised: percent-encoding,
case and query strings stay exactly as written.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator

SCHEME = "https://"
TEXT_MESSAGE_TYPES = frozenset({"text", "textV2"})

# Characters a URL in text may contain: printable ASCII except the delimiters <>"'`.
_URL_CHARS = "".join(re.escape(chr(c)) for c in range(0x21, 0x7F) if chr(c) not in "<>\"'`")
_URL_IN_TEXT = re.compile(f"{re.escape(SCHEME)}[{_URL_CHARS}]+")
_TRAILING_PUNCTUATION = ".,;:!?"
_CLOSERS = {")": "(", "]": "["}


def tracked_urls(messages: list[dict]) -> list[str]:
    """Every distinct https URL in `messages`, in order of first appearance."""
    found: dict[str, None] = {}
    for message in messages:
        if isinstance(message, dict):
            for url in _message_urls(message):
                found.setdefault(url)
    return list(found)


def rewrite_links(messages: list[dict], mapping: dict[str, str]) -> list[dict]:
    """A deep copy of `messages` with every URL that is a key of `mapping` replaced by its value.

    Replaced in the same places `tracked_urls` looks; in text only whole URLs are replaced
    (`https://a.jp/x` is not touched inside `https://a.jp/xy`). Unmapped URLs stay as they are.
    """
    result = copy.deepcopy(messages)
    if not mapping:
        return result
    for message in result:
        if not isinstance(message, dict):
            continue
        if message.get("type") in TEXT_MESSAGE_TYPES and isinstance(message.get("text"), str):
            message["text"] = _replace_in_text(message["text"], lambda url: mapping.get(url, url))
        for action in _uri_actions(message):
            for key in ("uri", "linkUri"):
                value = action.get(key)
                if isinstance(value, str) and value in mapping:
                    action[key] = mapping[value]
    return result


def urls_in_text(text: str) -> list[str]:
    """The https URLs in a piece of text, in order (duplicates kept)."""
    return [url for url, _start, _end in _scan(text)]


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each https URL in a piece of text."""
    return [(start, end) for _url, start, end in _scan(text)]


def message_urls(message: object) -> list[str]:
    """The https URLs of one message (text and uri actions), in order (duplicates kept)."""
    return list(_message_urls(message)) if isinstance(message, dict) else []


def host_of(url: str) -> str:
    """The part of an https URL that names where it leads (`user@host:port`)."""
    rest = url[len(SCHEME) :] if url.startswith(SCHEME) else url
    return re.split(r"[/?#\\]", rest, maxsplit=1)[0]


# --- internals ---------------------------------------------------------------------------


def _message_urls(message: dict) -> Iterator[str]:
    if message.get("type") in TEXT_MESSAGE_TYPES and isinstance(message.get("text"), str):
        yield from urls_in_text(message["text"])
    for action in _uri_actions(message):
        for key in ("uri", "linkUri"):
            value = action.get(key)
            if isinstance(value, str) and value.startswith(SCHEME) and len(value) > len(SCHEME):
                yield value


def _uri_actions(node: object) -> Iterator[dict]:
    """Every dict with `"type": "uri"` below `node` (actions), in document order."""
    stack = [node]
    while stack:  # iterative, so absurdly deep nesting cannot blow the recursion limit
        current = stack.pop()
        if isinstance(current, dict):
            if current.get("type") == "uri":
                yield current
            children = list(current.values())
        elif isinstance(current, list):
            children = current
        else:
            continue
        stack.extend(reversed(children))  # reversed: pop in document order


def _scan(text: str) -> Iterator[tuple[str, int, int]]:
    """(url, start, end) for each URL in `text`; `end` excludes trailing punctuation."""
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim(match.group())
        if len(url) > len(SCHEME):
            yield url, match.start(), match.start() + len(url)


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION:
            url = url[:-1]
        elif last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]
        else:
            break
    return url


def _replace_in_text(text: str, replace: Callable[[str], str]) -> str:
    parts: list[str] = []
    position = 0
    for url, start, end in _scan(text):
        parts.append(text[position:start])
        parts.append(replace(url))
        position = end
    parts.append(text[position:])
    return "".join(parts)
