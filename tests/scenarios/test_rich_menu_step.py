"""The `rich_menu` step: `link: RICH_MENU_ID` or `unlink: true`, exactly one, named by path."""

import pytest

from domain.steps import RichMenuStep
from scenarios.validate import DefinitionError, validate_definition

MENU = "richmenu-88c05ef6921ae53f8b58a25f3a65faf7"


def definition(*steps: dict) -> dict:
    return {"name": "menus", "trigger": {"type": "follow"}, "steps": list(steps)}


def test_link_and_unlink_are_read_and_dumped_as_written():
    steps = [
        {"id": "vip", "type": "rich_menu", "link": MENU},
        {"id": "reset", "type": "rich_menu", "unlink": True},
    ]
    read = validate_definition(definition(*steps))
    assert read.steps[0] == RichMenuStep(id="vip", type="rich_menu", link=MENU)
    assert read.steps[1].unlink is True and read.steps[1].link is None
    assert read.dump()["steps"] == steps


@pytest.mark.parametrize(
    ("step", "path", "words"),
    [
        ({"type": "rich_menu"}, "steps[1]", "exactly one"),
        ({"type": "rich_menu", "link": MENU, "unlink": True}, "steps[1]", "exactly one"),
        ({"type": "rich_menu", "unlink": False}, "steps[1].unlink", "True"),
        ({"type": "rich_menu", "link": "vip-menu"}, "steps[1].link", "pattern"),
        ({"type": "rich_menu", "link": MENU, "menu": "x"}, "steps[1].menu", "not permitted"),
    ],
    ids=["neither", "both", "unlink false", "not a rich menu id", "unknown field"],
)
def test_a_wrong_rich_menu_step_is_refused_at_its_path(step, path, words):
    document = definition(
        {"id": "hi", "type": "message", "messages": [{"type": "text", "text": "Hi"}]},
        {"id": "menu", **step},
    )
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    [error] = caught.value.errors
    assert error["path"] == path
    assert words in error["msg"]


def test_a_coupon_message_is_a_valid_message_and_needs_its_coupon_id():
    coupon = {"type": "coupon", "couponId": "01JYNW8JMQVFBNWF1APF8Z3FS7", "deliveryTag": "vip"}
    step = {"id": "gift", "type": "message", "messages": [coupon]}
    assert validate_definition(definition(step)).steps[0].messages == [coupon]
    without = {"id": "gift", "type": "message", "messages": [{"type": "coupon"}]}
    with pytest.raises(DefinitionError) as caught:
        validate_definition(definition(without))
    assert [e["path"] for e in caught.value.errors] == ["steps[0].messages[0].couponId"]
