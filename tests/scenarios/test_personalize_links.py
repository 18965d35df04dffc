"""A placeholder's value is never a link (core/personalize.py): broken invisibly in text,
percent-encoded inside a URL the scenario wrote, refused in a URL's host."""

import pytest

from core.links import urls_in_text
from core.personalize import fill, fill_url, inert, placeholder_problems


def text(body: str) -> dict:
    return {"type": "text", "text": body}


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/x",
        "HTTPS://EVIL.EXAMPLE",
        "http://evil.example",
        "www.evil.example",
        "evil.example/path",
        "see https://a.jp and https://b.jp",
    ],
)
def test_a_value_that_looks_like_a_url_is_no_url_once_filled(value):
    (filled,) = fill([text("こんにちは{displayName}さん")], {"displayName": value}, {})
    assert urls_in_text(filled["text"]) == []
    assert filled["text"].replace("\u200b", "") == f"こんにちは{value}さん"  # looks the same
    assert "evil.example" not in filled["text"]


@pytest.mark.parametrize("value", ["花子", "1.5", "Mr. Smith", "10:00", "a/b", "{attribute:x}"])
def test_ordinary_values_go_in_unchanged(value):
    assert inert(value) == value


def test_a_value_inside_a_written_url_is_one_encoded_component():
    url = "https://shop.example/c/{displayName}?u={attribute:id}#top"
    values = {"displayName": "../../admin", "attribute:id": "1&to=https://evil.example"}
    assert fill_url(url, values, {}) == (
        "https://shop.example/c/..%2F..%2Fadmin?u=1%26to%3Dhttps%3A%2F%2Fevil.example#top"
    )
    (filled,) = fill([text(f"見る {url}")], values, {})
    assert filled["text"] == "見る " + fill_url(url, values, {})


@pytest.mark.parametrize(
    "url",
    [
        "https://{attribute:host}/x",
        "https://shop.{attribute:sub}/x",
        "https://{displayName}@shop.example/",
        "https://shop.example:{attribute:port}/",
    ],
)
def test_a_placeholder_in_a_url_s_host_is_a_problem(url):
    problems = placeholder_problems([text(f"go {url}")], None, "steps[0]")
    assert [p.path for p in problems] == ["steps[0].messages[0]"]
    assert "placeholder" in problems[0].message


def test_a_placeholder_in_an_action_uri_s_host_is_a_problem_too():
    button = {
        "type": "template",
        "altText": "x",
        "template": {
            "type": "buttons",
            "text": "x",
            "actions": [{"type": "uri", "label": "Go", "uri": "https://{attribute:h}/x"}],
        },
    }
    assert [p.path for p in placeholder_problems([button], None, "s")] == ["s.messages[0]"]
    assert placeholder_problems([text("https://shop.example/{displayName}")], None, "s") == []
