"""The bench's LINE channel secret, access token and admin token, for every stepline it starts."""

SECRET, TOKEN, ADMIN = "bench-channel-secret", "bench-access-token", "bench-admin"
