"""GET /templates and POST /templates/{name}/scenarios: the four LINE templates, each a scenario
with one call (docs/CONTRACT.md §1)."""

from pathlib import Path

import httpx
import pytest
import yaml

from scenarios.definition import ScenarioDefinition
from store.tables import Scenario
from tests.api.helpers import count
from tests.support.stack import user

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["follow-up", "product-promotion", "review-request", "revisit-promotion"]


def template(name: str) -> dict:
    return yaml.safe_load((ROOT / "templates" / f"{name}.yaml").read_text(encoding="utf-8"))


async def create(stack, name: str, body=None, **kwargs) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return await stack.api.post(f"/templates/{name}/scenarios", **kwargs)


async def test_list_names_each_template_with_its_title_and_description(shared):
    answer = await shared.api.get("/templates")
    assert answer.status_code == 200
    rows = answer.json()
    assert [row["name"] for row in rows] == NAMES
    for row in rows:
        assert set(row) == {"name", "title", "description"}
        assert row["title"] == template(row["name"])["name"]
        assert "Japanese or English" in row["description"]
    follow_up = rows[0]
    assert follow_up["title"] == "友だち追加後のフォローアップ"
    assert follow_up["description"].startswith("Follow-up after a friend add")
    assert "#" not in follow_up["description"]


@pytest.mark.parametrize("name", NAMES)
async def test_create_stores_the_template_as_a_draft_scenario(shared, name):
    answer = await create(shared, name)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body == {
        "id": body["id"],
        "version": 1,
        "status": "draft",
        "warnings": [],
        "existing": False,
        "activated": False,
        "note": None,
    }
    read = (await shared.api.get(f"/scenarios/{body['id']}")).json()
    # exactly what POST /scenarios stores for the same definition
    assert read["definition"] == ScenarioDefinition.model_validate(template(name)).dump()
    assert read["name"] == template(name)["name"]
    assert read["delivery_cap"] == template(name)["delivery_cap"]
    assert read["trigger_type"] == "follow"


async def test_an_empty_object_or_null_body_changes_nothing(shared):
    for kwargs in (
        {"body": {}},
        {"content": b"null", "headers": {"Content-Type": "application/json"}},
    ):
        answer = await create(shared, "review-request", **kwargs)
        assert answer.status_code in (200, 201), answer.text  # 200: the one made before
        read = (await shared.api.get(f"/scenarios/{answer.json()['id']}")).json()
        assert (
            read["definition"]
            == ScenarioDefinition.model_validate(template("review-request")).dump()
        )


async def test_name_and_delivery_cap_override_the_templates(shared):
    answer = await create(
        shared, "product-promotion", {"name": "Yuzu launch (Tokyo)", "delivery_cap": 500}
    )
    assert answer.status_code == 201, answer.text
    read = (await shared.api.get(f"/scenarios/{answer.json()['id']}")).json()
    assert (read["name"], read["delivery_cap"], read["status"]) == (
        "Yuzu launch (Tokyo)",
        500,
        "draft",
    )
    expected = {**template("product-promotion"), "name": "Yuzu launch (Tokyo)", "delivery_cap": 500}
    assert read["definition"] == ScenarioDefinition.model_validate(expected).dump()

    uncapped = await create(shared, "product-promotion", {"delivery_cap": None, "new": True})
    read = (await shared.api.get(f"/scenarios/{uncapped.json()['id']}")).json()
    assert read["delivery_cap"] is None and "delivery_cap" not in read["definition"]
    assert read["name"] == "商品プロモーション"


async def test_create_and_activate_enrols_the_next_friend_in_their_language(shared):
    answer = await create(shared, "follow-up", {"activate": True, "name": "follow-up, active"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["version"], body["status"]) == (1, "active")
    listed = {row["id"]: row for row in (await shared.api.get("/scenarios")).json()}
    assert listed[body["id"]]["status"] == "active"
    # activated like POST /scenarios/{id}/activate: a second activation is refused the same way
    again = await shared.api.post(f"/scenarios/{body['id']}/activate")
    assert again.status_code == 409

    japanese, english, unknown = user(7001), user(7002), user(7003)
    await shared.follow(japanese, display_name="佐藤", language="ja")
    await shared.follow(english, display_name="Sam", language="en")
    await shared.follow(unknown, display_name="Aoi")  # LINE gives no language
    await shared.until_texts(japanese, [welcome("ja", "佐藤"), "sticker"])
    await shared.until_texts(english, [welcome("en", "Sam"), "sticker"])
    await shared.until_texts(unknown, [welcome("ja", "Aoi"), "sticker"])
    assert welcome("ja", "佐藤").startswith("佐藤様、友だち追加ありがとうございます！")
    assert welcome("en", "Sam").startswith("Hi Sam, thanks for adding us on LINE!")


def welcome(language: str, display_name: str) -> str:
    """The follow-up's welcome text in that language, with the friend's name filled in."""
    branch = template("follow-up")["steps"][0]
    step = branch["branches"][0]["steps"][0] if language == "ja" else branch["otherwise"][0]
    return step["messages"][0]["text"].replace("{displayName}", display_name)


async def test_activating_a_template_needs_nothing_else(shared):
    """Every template activates on a fresh install (no audiences, no coupons to create)."""
    for name in NAMES[1:]:
        answer = await create(shared, name, {"activate": True, "new": True})
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "active"
        ended = await shared.api.post(f"/scenarios/{answer.json()['id']}/end")
        assert ended.status_code == 202


async def test_unknown_template_is_404_naming_it(shared):
    before = await count(shared, Scenario)
    for name in ("welcome", "follow-up.yaml", "FOLLOW-UP", "quick-demo", "README"):
        answer = await create(shared, name, {"activate": True})
        assert answer.status_code == 404, (name, answer.text)
        detail = answer.json()["detail"]
        assert detail.startswith("no template ") and "follow-up" in detail
    assert "'welcome'" in (await create(shared, "welcome")).json()["detail"]
    assert await count(shared, Scenario) == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"activate": "yes"}, "activate"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"delivery_cap": 0}, "delivery_cap"),
        ({"delivery_cap": 2**31}, "delivery_cap"),
        ({"delivery_cap": "100"}, "delivery_cap"),
        ({"steps": []}, "steps"),
        ([], "(body)"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(shared, body, path):
    before = await count(shared, Scenario)
    answer = await create(shared, "follow-up", body)
    assert answer.status_code == 422, answer.text
    assert path in [problem["path"] for problem in answer.json()["detail"]]
    assert await count(shared, Scenario) == before


async def test_malformed_json_is_422(shared):
    answer = await create(
        shared, "follow-up", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["path"] == "(body)"


async def test_without_the_token_it_is_401(shared):
    before = await count(shared, Scenario)
    async with httpx.AsyncClient(base_url=str(shared.api.base_url)) as anonymous:
        listed = await anonymous.get("/templates")
        created = await anonymous.post("/templates/follow-up/scenarios", json={"activate": True})
    assert (listed.status_code, created.status_code) == (401, 401)
    assert created.json() == {"detail": "missing or wrong bearer token"}
    assert await count(shared, Scenario) == before
