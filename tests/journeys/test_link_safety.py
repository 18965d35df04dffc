"""Text a friend can set never becomes a link: not one of ours (an open redirect through
`/r/…`), and not one a phone shows (core/personalize.py)."""

import re

from tests.support.stack import user
from tests.workflows.test_failures import scenario


async def test_a_friend_s_value_never_becomes_a_link(stack):
    """A display name or an attribute a friend sets that looks like a URL is neither tracked
    (no `/r/…` of ours answering 302 to it) nor a link in the text LINE shows; a placeholder in
    a link the scenario wrote is filled into its query, percent-encoded, and the link tracked."""
    scenario_id = await stack.scenario(
        scenario(
            {
                "id": "hi",
                "type": "message",
                "messages": [
                    {
                        "type": "text",
                        "text": "{displayName}さん、{attribute:note} 詳しくは"
                        " https://shop.example/c?u={attribute:member}",
                    }
                ],
            }
        )
    )
    friend = user(560)
    answer = await stack.api.put(
        f"/friends/{friend}/attributes",
        json={"note": "see https://evil.example/y", "member": "7&next=https://evil.example/z"},
    )
    assert answer.status_code == 200, answer.text
    await stack.follow(friend, display_name="https://evil.example/x")
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    (text_sent,) = await stack.texts(friend)
    assert "https://evil" not in text_sent and "evil.example" not in text_sent.replace(
        "\u200b", "X"
    )
    assert text_sent.replace("\u200b", "").startswith(
        "https://evil.example/xさん、see https://evil"
    )
    (link,) = re.findall(r"https?://\S+", text_sent)  # the only URL a phone shows
    path = "/r/" + link.rsplit("/r/", 1)[1]
    answer = await stack.api.get(path, headers={"Authorization": ""})
    assert answer.status_code == 302
    assert (
        answer.headers["location"]
        == "https://shop.example/c?u=7%26next%3Dhttps%3A%2F%2Fevil.example%2Fz"
    )


async def test_a_placeholder_where_a_link_says_its_site_is_refused(stack):
    step = {
        "id": "hi",
        "type": "message",
        "messages": [{"type": "text", "text": "go https://{attribute:host}/sale"}],
    }
    answer = await stack.api.post("/scenarios", json=scenario(step))
    assert answer.status_code == 422
    assert "steps[0].messages[0]" in answer.text and "placeholder" in answer.text
