"""The problem messages the dashboard translates (problem_words.py), marked for the catalogs:
those of a scenario's definition here — scenarios/validate.py, definition.py, trigger.py,
limits.py, domain/ (steps, conditions, durations, dates, moments, keywords), core/linemsg.py
(LINE's message rules), core/personalize.py (placeholders), the studio's — and those of the
operator's forms, the application's services and pydantic's own in problem_table_forms.py.

FIXED: messages without a variable part (looked up as they are). PATTERNS: a msgid whose
`%(name)s` parts stand for any text (the regex is the msgid's text around them), or
(a regex with those names as groups, the msgid) where the English varies more than that."""

from api.dashboard.i18n import N_
from api.dashboard.problem_table_forms import FORM_FIXED, FORM_PATTERNS

SCENARIO_FIXED = (
    # domain/durations.py, dates.py, moments.py, keywords.py
    N_("must be an ISO-8601 duration such as PT30S, PT2H, P1D or P1DT12H"),
    N_('must be a signed whole number of days or weeks, e.g. "-P7D", "P3D", "P0D"'),
    N_("is out of range: in UTC it would fall before year 1 or after year 9999"),
    N_("a keyword must not be empty or only spaces"),
    # domain/conditions.py
    N_("between needs [low, high] with low <= high"),
    N_("needs exactly one of equals, in, not_in, between, gte, lte, exists"),
    N_("`keyword` is for `event: message` (a text message)"),
    N_("`match` needs a `keyword`"),
    N_("`data` is for `event: postback` (its exact postback data)"),
    N_("must be one of {attribute…}, {audience}, {tag}, {event}, {clicked}, {all}, {any}, {not}"),
    # domain/steps/
    N_('must be a 24-hour time "HH:MM", e.g. "10:00"'),
    N_("start and end must differ (an empty window would hold forever)"),
    N_("arm labels must be unique"),
    N_("at least one arm needs a weight above 0"),
    N_("at least one weight must be above 0"),
    N_("option labels must be unique"),
    N_("needs tags to `add` or `remove`"),
    N_("a rich_menu step takes `link: RICH_MENU_ID` or `unlink: true`, exactly one"),
    N_("a wait needs `duration` (e.g. P1D) or `until` (e.g. 2026-12-24T10:00:00+09:00)"),
    N_("a wait takes `duration` or `until`, not both"),
    N_("must be an ISO-8601 date and time with its UTC offset, e.g. 2026-12-24T10:00:00+09:00"),
    N_(
        "has no UTC offset, so it is a different moment in every timezone: write one, "
        "e.g. 2026-12-24T10:00:00+09:00 (or Z for UTC)"
    ),
    N_("is out of range"),
    # scenarios/trigger.py, definition.py, validate.py, app/lifecycle.py
    N_("added_from must be before added_until"),
    N_("a switch must be the last step of its list"),
    N_("must be a coupon id from POST /coupons (LINE's couponId)"),
    N_("a scenario cannot switch to itself"),
    # core/linemsg.py
    N_("must contain at least 1 message"),
    N_("is required"),
    N_("must be a string"),
    N_("must be an integer"),
    N_("must be a number"),
    N_("must be true or false"),
    N_("must be an array"),
    N_("must be a JSON object"),
    N_("must not be empty"),
    N_("must be an https URL"),
    N_("must be an http, https, line or tel URI"),
    # core/personalize.py
    N_("is not a placeholder: use displayName or attribute:NAME"),
    # app/studio/check.py (the YAML tab)
    N_("must be a scenario: an object with name, trigger and steps"),
)

SCENARIO_PATTERNS = (
    N_("unknown IANA timezone %(zone)s (e.g. Asia/Tokyo)"),
    N_("must be between 1 second (PT1S) and %(days)s days (P%(days)sD)"),
    N_("must be at most %(days)s days (P%(days)sD) either way"),
    N_("must be at most %(days)s days ahead (P%(days)sD from now)"),
    N_("a keyword must be at most %(limit)s characters (got %(got)s)"),
    N_("needs exactly one of equals, in, not_in, between, gte, lte, exists (got %(given)s)"),
    N_("tags both added and removed: %(tags)s"),
    N_("step id %(id)s is already used at %(first)s"),
    N_("no message step %(step)s in this scenario"),
    N_("%(path)s is nested more than %(limit)s step lists deep"),
    N_("a scenario may have at most %(limit)s steps in all"),
    N_("unknown audience %(name)s"),
    N_("unknown scenario %(id)s"),
    # core/linemsg.py
    N_("must be an array of 1 to %(limit)s message objects"),
    N_("must contain at most %(limit)s messages (got %(got)s)"),
    N_("could not be checked (%(error)s)"),
    N_("must be a JSON object (got %(got)s)"),
    N_("must be one of %(allowed)s (got %(got)s)"),
    N_("must be one of enum values %(allowed)s"),
    N_("must be one of %(allowed)s"),
    N_("must be at most %(limit)s characters"),
    N_("must be at least %(limit)s characters"),
    N_("must have at most %(limit)s items"),
    N_("must have at least %(limit)s items"),
    N_("must match the pattern %(pattern)s"),
    N_("must be at most %(limit)s characters (got %(got)s)"),
    N_("must be at most %(limit)s UTF-16 code units (got %(got)s)"),
    # core/personalize.py
    N_("%(text)s is not a placeholder: write {displayName} exactly"),
    N_("%(text)s is not a placeholder: write %(suggestion)s"),
    N_("%(text)s has no attribute name: write {attribute:NAME}"),
    N_("%(text)s has an attribute name longer than %(limit)s characters (got %(got)s)"),
    N_("%(text)s has no closing } (names cannot contain braces)"),
    N_(
        "%(url)s has a placeholder where it says which site it leads to: a friend could choose "
        "it; put placeholders in the path or the query"
    ),
    # app/studio/check.py, app/studio/service.py
    N_("at most %(limit)s characters"),
    N_("not valid YAML: %(error)s"),
    N_("%(count)s problem(s) to fix first: %(path)s: %(msg)s"),
    N_(
        "version %(version)s was saved since this draft was opened from version %(base)s: "
        "open the scenario again"
    ),
    N_("no draft %(id)s (saved or discarded already?)"),
)

FIXED = (*SCENARIO_FIXED, *FORM_FIXED)
PATTERNS = (*SCENARIO_PATTERNS, *FORM_PATTERNS)
