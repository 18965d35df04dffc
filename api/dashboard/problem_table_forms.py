"""The problem messages of the operator's forms and the application's services (app/*.py,
scenarios/policy.py, the CSV imports) and pydantic's own common ones, for problem_words.py
(the form of the entries: problem_table.py)."""

from api.dashboard.i18n import N_

# pydantic's "List/Dictionary/Tuple should have at least/most N item(s) …", one msgid each way
_COUNT = (
    r"(?:List|Dictionary|Tuple) should have {} (?P<limit>\d+) items? after validation, "
    r"not (?P<got>\d+)"
)

FORM_FIXED = (
    # pydantic's own
    N_("Field required"),
    N_("Extra inputs are not permitted"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer, got a number with a fractional part"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid number"),
    N_("Input should be a finite number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid boolean"),
    N_("Input should be a valid string"),
    N_("Input should be a valid list"),
    N_("Input should be a valid tuple"),
    N_("Input should be a valid dictionary"),
    N_("Input should be a valid dictionary or object to extract fields from"),
    N_("Input should have timezone info"),
    N_("Input should be True"),
    # app/audience_kinds.py, app/friend_values.py, app/audiences.py
    N_("must be a string, a finite number, true or false"),
    N_("must be a string, a finite number, true, false or null (to remove it)"),
    N_("required with step (step ids belong to a scenario)"),
    N_("only upload audiences take members"),
    # app/test_sends.py
    N_("must be between 1 second (PT1S) and 10 minutes (PT10M)"),
    N_("give either `step` (one message step) or `walk: true`"),
    N_("give either `tag` or `user_ids` (the test friends)"),
    N_("only a walk (`walk: true`) has waits to shorten"),
    # app/lifecycle.py, app/channel.py
    N_("the scenario has ended; create a new one"),
    N_("LINE_CHANNEL_ACCESS_TOKEN is not set: the quota cannot be read from LINE"),
    # the CSV imports (store/import_*.py, app/audience_file.py)
    N_("the file holds no user IDs"),
    N_(
        "this is an Excel workbook, not a CSV file: save it as “CSV UTF-8 (comma delimited)” "
        "and upload that"
    ),
    N_(
        "UTF-16 text is not supported: save the file as “CSV UTF-8 (comma delimited)” "
        "(or Shift_JIS CSV)"
    ),
    N_("the header row is missing: line 1 must name the columns, user_id first"),
    N_("the column name is empty"),
    N_("NUL characters are not allowed"),
    N_("user_id is empty"),
)

FORM_PATTERNS = (
    # pydantic's own
    (
        r"String should have at least (?P<limit>\d+) characters?",
        N_("String should have at least %(limit)s characters"),
    ),
    (
        r"String should have at most (?P<limit>\d+) characters?",
        N_("String should have at most %(limit)s characters"),
    ),
    N_("String should match pattern %(pattern)s"),
    (
        _COUNT.format("at least"),
        N_("List should have at least %(limit)s items after validation, not %(got)s"),
    ),
    (
        _COUNT.format("at most"),
        N_("List should have at most %(limit)s items after validation, not %(got)s"),
    ),
    N_("Input should be greater than or equal to %(limit)s"),
    N_("Input should be less than or equal to %(limit)s"),
    N_("Input should be greater than %(limit)s"),
    N_("Input should be less than %(limit)s"),
    (r"Input should be (?P<allowed>'.*')", N_("Input should be %(allowed)s")),
    N_(
        "Input tag %(tag)s found using %(field)s does not match any of the expected tags: "
        "%(allowed)s"
    ),
    N_("Unable to extract tag using discriminator %(field)s"),
    N_("Input should be a valid dictionary or instance of %(model)s"),
    (
        r"Input should be a valid (?:datetime|date)(?: or (?:datetime|date))?, (?P<why>.+)",
        N_("Input should be a valid datetime, %(why)s"),
    ),
    # scenarios/policy.py, app/audiences.py, app/lifecycle.py, app/friends.py, app/templates.py
    N_("no holiday calendar for %(country)s (e.g. JP)"),
    # core/closed_days.py (the policy's closed days)
    N_("%(day)s is not a date"),
    N_("%(day)s is not a day of the year (MM-DD)"),
    N_("%(entry)s ends before it starts"),
    N_("%(entry)s is longer than a year"),
    N_(
        "%(entry)s is not a closed day: write YYYY-MM-DD, MM-DD (every year), or a range of "
        "either: 2026-12-29/2027-01-03, 12-29/01-03"
    ),
    N_("scenario %(scenario)s has no message step %(step)s"),
    N_("no audience %(id)s"),
    N_("no scenario %(id)s"),
    N_("cannot %(action)s a scenario that is %(status)s"),
    N_("no friend %(user_id)s"),
    N_("%(user_id)s has no tag %(tag)s"),
    N_("no template %(name)s (there are: %(names)s)"),
    # app/test_sends.py
    N_("no friend who follows the account has the tag %(tag)s"),
    N_(
        "more than %(limit)s friends have the tag %(tag)s: a test goes to at most %(limit)s; "
        "tag fewer friends"
    ),
    N_("%(user_id)s is not a friend who follows the account"),
    N_("scenario %(scenario)s has no version %(version)s"),
    N_("version %(version)s has no step %(step)s"),
    N_(
        "%(step)s is a %(type)s step: only a message or survey step is sent alone "
        "(`walk: true` tests the whole scenario)"
    ),
    N_("the Idempotency-Key %(key)s was used for another test send"),
    # app/channel.py (LINE's own words after the colon stay as LINE said them)
    N_("LINE answered %(status)s: %(said)s"),
    N_("LINE could not be reached: %(said)s"),
    # the CSV imports
    N_("%(value)s is not a LINE user ID (U + 32 hex)"),
    N_("%(count)s user IDs: at most %(limit)s a file, split it"),
    N_("neither UTF-8 nor Shift_JIS (cp932) text: undecodable bytes on line %(line)s"),
    N_("the first column must be user_id, not %(value)s: columns must be separated by commas"),
    N_("the first column must be user_id, not %(value)s (user_id is column %(column)s)"),
    N_("the first column must be user_id, not %(value)s"),
    N_("the column name is longer than %(limit)s characters"),
    N_("duplicate column name %(name)s (also column %(column)s)"),
    N_("not a LINE user ID (U followed by 32 lowercase hex digits): %(value)s"),
    N_("duplicate user_id: already on line %(line)s"),
    N_("%(count)s fields, but the header has %(expected)s (a value with a comma must be quoted)"),
    N_("longer than %(limit)s characters"),
    N_("more than %(limit)s problems: only the first %(shown)s are listed"),
)
