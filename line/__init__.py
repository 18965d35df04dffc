"""The LINE Messaging API client (line-bot-sdk v3, async) and friends' profiles from it."""
