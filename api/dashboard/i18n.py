"""The dashboard in Japanese and English: gettext catalogs (locales/{ja,en}/LC_MESSAGES/
messages.po, made with Babel: `make messages`), read from the .po files when the API starts
(nothing is compiled or fetched at run time), and the language of each request — the
`stepline_lang` cookie the switch in the nav sets (language.py), else the browser's
Accept-Language (Japanese when it prefers it to English), else English.

Templates call `_("…")`, `ngettext(…)`, `pgettext(…)` and `{% trans %}` (jinja2.ext.i18n,
new-style: `_("%(n)s steps", n=3)` formats and escapes its arguments; a literal % is %%).
Python that writes page text marks its strings with `N_("…")` and translates them with
`translations(request)` when it renders."""

import gettext
import re
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from starlette.requests import Request

from api.dashboard.labels import LABELS

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT = "en"
SUPPORTED = ("en", "ja")
NAMES = {"ja": "日本語", "en": "English"}  # each in its own language: the switch's buttons
COOKIE = "stepline_lang"
COOKIE_SECONDS = 365 * 24 * 3600
_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$|^\*$")
_SCOPE_KEY = "stepline.language"


def N_(message: str) -> str:
    """Marks a string for the catalogs (Babel extracts it); translated where it is shown."""
    return message


def load(language: str, locales: Path = LOCALES) -> gettext.NullTranslations:
    """The language's catalog from its .po (fuzzy and untranslated entries left out: their
    English msgid is shown); an empty catalog when there is no file."""
    path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


TRANSLATIONS: dict[str, gettext.NullTranslations] = {lang: load(lang) for lang in SUPPORTED}
_current: ContextVar[str] = ContextVar("dashboard_language", default=DEFAULT)


def supported(value: str | None) -> str | None:
    return value if value in SUPPORTED else None


def negotiate(accept_language: str | None) -> str:
    """The supported language the Accept-Language header prefers most (`ja-JP,ja;q=0.9,en;
    q=0.8` → ja, `en-US,ja;q=0.5` → en); English when it names neither."""
    wanted: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "")[:1000].split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not _TAG.match(tag):
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if 0 < quality <= 1:
            wanted.append((-quality, index, tag.split("-")[0].lower()))
    for _, _, primary in sorted(wanted):
        if primary in SUPPORTED:
            return primary
        if primary == "*":
            break
    return DEFAULT


def language(request: Request) -> str:
    """This request's language: the switch's cookie, else Accept-Language, else English."""
    found = request.scope.get(_SCOPE_KEY)
    if found is None:
        found = supported(request.cookies.get(COOKIE)) or negotiate(
            request.headers.get("accept-language")
        )
        request.scope[_SCOPE_KEY] = found
    return found


def translations(request: Request) -> gettext.NullTranslations:
    return TRANSLATIONS[language(request)]


def use(request: Request) -> str:
    """Render the templates that follow (in this context) in the request's language."""
    found = language(request)
    _current.set(found)
    return found


def _lang(context: Context) -> str:
    # a macro imported without context has no `lang`: the language `use` set, then
    found = context.get("lang")
    return found if found in TRANSLATIONS else _current.get()


@pass_context
def _gettext(context: Context, message: str) -> str:
    return TRANSLATIONS[_lang(context)].gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return TRANSLATIONS[_lang(context)].ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, where: str, message: str) -> str:
    return TRANSLATIONS[_lang(context)].pgettext(where, message)


@pass_context
def _npgettext(context: Context, where: str, singular: str, plural: str, n: int) -> str:
    return TRANSLATIONS[_lang(context)].npgettext(where, singular, plural, n)


@pass_context
def label(context: Context, kind: str, value: Any) -> Any:
    """A stored word (a status, a step type, a hold reason…) in the page's language; a value
    not in labels.py as it is."""
    if isinstance(value, str) and value in LABELS.get(kind, ()):
        return TRANSLATIONS[_lang(context)].pgettext(kind, value)
    return value


def install(environment: Environment) -> None:
    """`_`, `gettext`, `ngettext`, `pgettext`, `npgettext`, `{% trans %}` and `label` in every
    template of the environment, in the language of the request being rendered."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    environment.globals["label"] = label
