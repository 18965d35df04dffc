"""Readable display names for emulated friends who were given none: a common Japanese or
English given name chosen by the user id (so the same id gets the same name), with a number
only when a friend of the emulator already has that name ("Aoi", then "Aoi 2")."""

from __future__ import annotations

import hashlib
from collections.abc import Container

GIVEN_NAMES = (
    # Japanese
    "Aoi", "Haruto", "Yui", "Sota", "Hina", "Riku", "Mei", "Yuto", "Sakura", "Hinata",
    "Rin", "Ren", "Yuna", "Minato", "Mio", "Kaito", "Akari", "Sora", "Hana", "Itsuki",
    "Koharu", "Daiki", "Emi", "Takumi", "Nanami", "Kenta", "Saki", "Shota", "Misaki", "Yuki",
    "Kaede", "Haruki", "Ayaka", "Ryo", "Miyu", "Kota", "Natsuki", "Daichi", "Chihiro", "Kazuki",
    "Honoka", "Yamato", "Momoka", "Asahi", "Tsumugi", "Hayato", "Ema", "Sho", "Rina", "Taiga",
    "Kanna", "Yusuke", "Nao", "Shun", "Airi", "Kohei", "Moe", "Tomoya", "Ami", "Naoki",
    "Keiko", "Hiroshi", "Yoko", "Takeshi", "Kumiko", "Makoto", "Naomi", "Satoshi", "Mai", "Jun",
    # English
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Oliver", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Henry", "Amelia", "Leo", "Harper", "Jack", "Evelyn", "Ethan", "Abigail", "Owen",
    "Emily", "Daniel", "Ella", "Samuel", "Grace", "Jacob", "Chloe", "Logan", "Lily", "Ryan",
    "Zoe", "Nathan", "Nora", "Adam", "Ruby", "Thomas", "Alice", "Max", "Lucy", "Ben",
    "Sarah", "David", "Hannah", "Michael", "Anna", "Chris", "Laura", "Tom", "Julia", "Sam",
)  # fmt: skip


def display_name(user_id: str, taken: Container[str]) -> str:
    """The name a new friend `user_id` shows: stable for the id, distinct from `taken`."""
    digest = int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:8], "big")
    base = GIVEN_NAMES[digest % len(GIVEN_NAMES)]
    if base not in taken:
        return base
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"
