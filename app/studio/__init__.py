"""The studio: composing and editing a scenario document in the dashboard, as a draft that is
checked with the API's own rules at every change and saved through the scenario lifecycle."""
