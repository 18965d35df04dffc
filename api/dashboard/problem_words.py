"""Problems (`{"path", "msg", "type"}`) in the dashboard's language. The admin API answers its
checks' messages in English (its contract); the studio and the operator pages show the same
messages, translated here: a message the catalog has as it is (`Field required`), else the
first pattern of problem_table.py that reads the whole of it (`unknown audience 'vip'` →
`unknown audience %(name)s` with name `'vip'`), its msgid translated and then filled. A part
named `msg` (a problem quoted inside another: `3 problem(s) to fix first: steps[0]: …`) is
itself translated. A message no entry reads stays English."""

import gettext
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from api.dashboard import i18n
from api.dashboard.labels import LABELS
from api.dashboard.problem_table import FIXED, PATTERNS

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_LABELLED = {"status": "status", "type": "step"}  # a part named so: a labels.py word
_OR = re.compile(r"(?<=')\s+or\s+(?=')")


def _regex(msgid: str) -> re.Pattern[str]:
    """The msgid read as a regex over the English message: its text literal, each
    `%(name)s` any text (a name used twice: the same text again)."""
    parts, seen, at = [], set(), 0
    for found in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[at : found.start()]))
        name = found.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        at = found.end()
    parts.append(re.escape(msgid[at:]))
    return re.compile("".join(parts), re.DOTALL)


def _compiled(entries: Iterable[str | tuple[str, str]]) -> list[tuple[re.Pattern[str], str]]:
    """(regex, msgid) for every pattern, the most literal text first: `must be one of %(a)s
    (got %(b)s)` is tried before `must be one of %(a)s`."""
    table = [
        (re.compile(entry[0], re.DOTALL), entry[1])
        if isinstance(entry, tuple)
        else (_regex(entry), entry)
        for entry in entries
    ]
    return sorted(table, key=lambda item: -len(_PLACEHOLDER.sub("", item[1])))


TABLE = _compiled(PATTERNS)
KNOWN = frozenset(FIXED)


def translate(msg: str, translations: gettext.NullTranslations) -> str:
    """`msg` (a problem's English message) in the catalog's language; as it is when no entry
    reads it (and always in English, whose catalog's strings are the msgids)."""
    if not isinstance(msg, str) or not msg:
        return msg
    said = translations.gettext(msg)  # FIXED, and any other message the catalogs hold
    if said != msg or msg in KNOWN:
        return said
    for regex, msgid in TABLE:
        found = regex.fullmatch(msg)
        if found is None:
            continue
        values = found.groupdict()
        if "msg" in values:
            values["msg"] = translate(values["msg"], translations)
        for name, kind in _LABELLED.items():  # a stored word: as the rest of the page says it
            if values.get(name) in LABELS[kind]:
                values[name] = translations.pgettext(kind, values[name])
        if "allowed" in values:  # pydantic's `'a', 'b' or 'c'`: a list, in any language
            values["allowed"] = _OR.sub(", ", values["allowed"])
        words = translations.gettext(msgid)
        if words == msgid:  # English, or not translated: the message as it was said
            return msg
        try:
            return words % values
        except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
            return msg
    return msg


def joined(text: str, translations: gettext.NullTranslations) -> str:
    """A service's message as its exception says it: one message, or `path: msg; path: msg`
    (str() of a DefinitionError or an app.errors.Invalid), each msg translated."""
    if not isinstance(text, str):
        return text
    whole = translate(text, translations)
    if whole != text or ": " not in text:
        return whole
    parts = []
    for part in text.split("; "):
        path, colon, msg = part.partition(": ")
        parts.append(f"{path}: {translate(msg, translations)}" if colon else part)
    return "; ".join(parts)


def problems(
    found: Iterable[Mapping[str, Any]], translations: gettext.NullTranslations
) -> list[dict[str, Any]]:
    """The problems with their `msg` translated (`path` and `type` as they are)."""
    return [{**problem, "msg": translate(problem["msg"], translations)} for problem in found]


@pass_context
def _problem_text(context: Context, msg: str) -> str:
    return joined(msg, i18n.TRANSLATIONS[i18n._lang(context)])


def install(environment: Environment) -> None:
    """`problem_text(msg)` in every template: a problem's message in the page's language."""
    environment.globals["problem_text"] = _problem_text
