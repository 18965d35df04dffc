"""What a change to a friend's data means for journeys: exits, `wait_for` steps and
audience triggers (filled in by the targeting work)."""

from collections.abc import Iterable


class FriendChanges:
    async def changed(self, user_ids: Iterable[str], *, reason: str = "data") -> None:
        """Call after committing any change to these friends' data (attributes, tags, route,
        events, clicks, audience members)."""
