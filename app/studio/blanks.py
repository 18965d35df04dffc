"""What the studio puts in place when an operator adds something: a step of each kind, a
message of each type, a condition of each kind, a trigger of each kind — each a small document
that reads as an example and is checked at once like the rest."""

import copy
from typing import Any

SCENARIO: dict[str, Any] = {
    "name": "New scenario",
    "timezone": "Asia/Tokyo",
    "trigger": {"type": "follow"},
    "steps": [{"id": "welcome", "type": "message", "messages": [{"type": "text", "text": ""}]}],
}

STEPS: dict[str, dict[str, Any]] = {
    "message": {"type": "message", "messages": [{"type": "text", "text": ""}]},
    "wait": {"type": "wait", "duration": "P1D"},
    "branch": {
        "type": "branch",
        "branches": [{"label": "branch 1", "when": {"tag": "vip"}, "steps": []}],
        "otherwise": [],
    },
    "split": {
        "type": "split",
        "arms": [
            {"label": "A", "weight": 50, "steps": []},
            {"label": "B", "weight": 50, "steps": []},
        ],
    },
    "wait_for": {
        "type": "wait_for",
        "until": {"event": "purchase"},
        "timeout": "P3D",
        "then": [],
        "on_timeout": [],
    },
    "survey": {
        "type": "survey",
        "question": "",
        "options": [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}],
        "attribute": "answer",
        "timeout": "P1D",
        "then": [],
        "on_timeout": [],
    },
    "tag": {"type": "tag", "add": ["tag"]},
    "attribute": {"type": "attribute", "set": {"name": "value"}},
    "rich_menu": {"type": "rich_menu", "link": "richmenu-"},
    "switch": {"type": "switch", "scenario": ""},
}

MESSAGES: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": ""},
    "sticker": {"type": "sticker", "packageId": "11537", "stickerId": "52002734"},
    "image": {
        "type": "image",
        "originalContentUrl": "https://example.com/image.jpg",
        "previewImageUrl": "https://example.com/preview.jpg",
    },
    "coupon": {"type": "coupon", "couponId": ""},
    "buttons": {
        "type": "template",
        "altText": "",
        "template": {
            "type": "buttons",
            "text": "",
            "actions": [{"type": "uri", "label": "Open", "uri": "https://example.com"}],
        },
    },
}
ACTION = {"type": "message", "label": "Yes", "text": "Yes"}
QUICK_REPLY = {"type": "action", "action": {"type": "message", "label": "Yes", "text": "Yes"}}

CONDITIONS: dict[str, Any] = {
    "attribute": {"attribute": "gender", "equals": "female"},
    "tag": {"tag": "vip"},
    "audience": {"audience": ""},
    "event": {"event": "purchase"},
    "clicked": {"clicked": ""},
    "all": {"all": [{"tag": "vip"}]},
    "any": {"any": [{"tag": "vip"}]},
    "not": {"not": {"tag": "vip"}},
}

TRIGGERS: dict[str, dict[str, Any]] = {
    "follow": {"type": "follow"},
    "event": {"type": "event", "event": "purchase"},
    "keyword": {"type": "keyword", "keywords": ["coupon"]},
    "audience": {"type": "audience", "audience": ""},
    "date": {"type": "date", "attribute": "birthday", "offset": "P0D", "at": "10:00"},
}

ITEMS: dict[str, Any] = {  # what "add" puts at the end of a list, by the list's name
    "branches": {"label": "branch", "when": {"tag": "vip"}, "steps": []},
    "arms": {"label": "arm", "weight": 0, "steps": []},
    "options": {"label": "option", "value": "option"},
    "actions": ACTION,
    "items": QUICK_REPLY,
    "exit": {"event": "unsubscribe"},
}


PARTS: dict[str, Any] = {  # optional parts put in place whole (`set:PATH:NAME`)
    "goal": {"event": "purchase", "within": "P7D"},
    "window": {"start": "10:00", "end": "20:00"},
    "exit": [{"event": "unsubscribe"}],
    "quick_reply": {"items": [QUICK_REPLY]},
    "otherwise": [],
}


def fresh(table: dict[str, Any], kind: str) -> Any:
    if kind not in table:
        raise KeyError(kind)
    return copy.deepcopy(table[kind])
