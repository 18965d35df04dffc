"""Custom search attributes (docs/CONTRACT.md §4): `StepScenarioId="…" AND StepStatus="waiting"` in the UI."""

from temporalio.common import SearchAttributeKey

SCENARIO_ID = SearchAttributeKey.for_keyword("StepScenarioId")
LINE_USER_ID = SearchAttributeKey.for_keyword("StepLineUserId")
STATUS = SearchAttributeKey.for_keyword("StepStatus")
CURRENT = SearchAttributeKey.for_keyword("StepCurrent")

ALL = (SCENARIO_ID, LINE_USER_ID, STATUS, CURRENT)
