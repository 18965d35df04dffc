"""The studio's words for the kinds it offers (step kinds, message types, condition kinds,
operators, wait modes, trigger kinds, a survey's answers), marked for the catalogs with the kind as their gettext
context and shown in the page's language: `{{ label_of("condition", "any") }}`."""

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from api.dashboard import i18n
from api.dashboard.labels import NC_

WORDS: dict[tuple[str, str], str] = {
    ("step", "message"): NC_("step", "message"),
    ("step", "wait"): NC_("step", "wait"),
    ("step", "branch"): NC_("step", "branch"),
    ("step", "split"): NC_("step", "split"),
    ("step", "wait_for"): NC_("step", "wait for"),
    ("step", "survey"): NC_("step", "survey"),
    ("step", "tag"): NC_("step", "tag"),
    ("step", "attribute"): NC_("step", "attribute"),
    ("step", "rich_menu"): NC_("step", "rich menu"),
    ("step", "switch"): NC_("step", "switch"),
    ("message", "text"): NC_("message", "text"),
    ("message", "sticker"): NC_("message", "sticker"),
    ("message", "image"): NC_("message", "image"),
    ("message", "coupon"): NC_("message", "coupon"),
    ("message", "buttons"): NC_("message", "buttons"),
    ("condition", "attribute"): NC_("condition", "attribute"),
    ("condition", "tag"): NC_("condition", "has the tag"),
    ("condition", "audience"): NC_("condition", "in the audience"),
    ("condition", "event"): NC_("condition", "did an event"),
    ("condition", "clicked"): NC_("condition", "clicked a link"),
    ("condition", "all"): NC_("condition", "all of"),
    ("condition", "any"): NC_("condition", "any of"),
    ("condition", "not"): NC_("condition", "not"),
    ("operator", "equals"): NC_("operator", "equals"),
    ("operator", "in"): NC_("operator", "one of"),
    ("operator", "not_in"): NC_("operator", "none of"),
    ("operator", "between"): NC_("operator", "between"),
    ("operator", "gte"): NC_("operator", "at least"),
    ("operator", "lte"): NC_("operator", "at most"),
    ("operator", "exists"): NC_("operator", "is set"),
    ("wait", "duration"): NC_("wait", "for a while"),
    ("wait", "moment"): NC_("wait", "until a moment"),
    ("wait", "date"): NC_("wait", "until a date attribute"),
    ("trigger", "follow"): NC_("trigger", "friend added"),
    ("trigger", "event"): NC_("trigger", "an event"),
    ("trigger", "keyword"): NC_("trigger", "a keyword message"),
    ("trigger", "audience"): NC_("trigger", "joining an audience"),
    ("trigger", "date"): NC_("trigger", "a date attribute"),
    ("answers", "options"): NC_("answers", "options to tap"),
    ("answers", "free"): NC_("answers", "free text"),
}


@pass_context
def label_of(context: Context, what: str, kind: Any) -> str:
    english = WORDS.get((what, str(kind)))
    if english is None:
        return str(kind)
    language = context.get("lang") or i18n.DEFAULT
    return i18n.TRANSLATIONS.get(language, i18n.TRANSLATIONS[i18n.DEFAULT]).pgettext(what, english)
