"""The plain types at the bottom of stepline: step kinds and their models, conditions,
statuses and hold reasons, ids, durations. Nothing here imports another package of the
project (only the standard library and pydantic), so every layer above may use them —
the workflows included, whose code must stay deterministic."""
