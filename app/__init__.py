"""The application layer: the composition root (roles.py: what each process — the API, the
worker, the CLI — is built from and how long it lives) and the services that the routes,
the dashboard and the CLI all call (scenario lifecycle, friend changes, a friend's timeline
and its words, stats)."""
