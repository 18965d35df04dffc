"""Tracked links (a click changing the next branch), each audience kind deciding a branch,
audience triggers, switch, and personalisation."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.journeys.test_events_and_exits import event
from tests.support.stack import user
from tests.workflows.test_failures import WELCOME, scenario, text, wait

SALE = "https://shop.example/sale?from=line"
PROMO = {
    "id": "promo",
    "type": "message",
    "messages": [
        {"type": "text", "text": f"セール開催中！詳しくは{SALE}。"},
        {
            "type": "template",
            "altText": "Sale",
            "template": {
                "type": "buttons",
                "text": "Sale",
                "actions": [{"type": "uri", "label": "Open", "uri": "https://shop.example/app"}],
            },
        },
    ],
}
CLICK_BRANCH = {
    "id": "did-click",
    "type": "branch",
    "branches": [
        {"label": "clicked", "when": {"clicked": "promo"}, "steps": [text("thanks", "Glad")]},
    ],
    "otherwise": [text("again", "Did you see the sale?")],
}


def tracked(push: dict) -> list[str]:
    texts = " ".join(m.get("text", "") + str(m.get("template", "")) for m in push["messages"])
    return re.findall(r"http://[^\s'\"]+/r/[A-Za-z0-9_\-]+", texts)


async def test_a_tracked_link_click_changes_the_next_branch(stack):
    scenario_id = await stack.scenario(scenario(PROMO, wait("w", "PT6H"), CLICK_BRANCH))
    clicker, ignorer = user(500), user(501)
    for friend in (clicker, ignorer):
        await stack.follow(friend)
    await stack.until_texts(
        clicker, [f"セール開催中！詳しくは{SALE}。", "template"], tracked_as=True
    )
    pushes = await stack.received(clicker)
    links = tracked(pushes[0])
    assert len(links) == 2 and SALE not in str(pushes[0])  # both URLs rewritten
    assert links[0].startswith(str(stack.settings.public_url).rstrip("/") + "/r/")
    path = "/r/" + links[0].rsplit("/r/", 1)[1]
    answer = await stack.api.get(path, headers={"Authorization": ""})
    assert answer.status_code == 302 and answer.headers["location"] == SALE

    assert (await stack.outcome(scenario_id, clicker)).status == "completed"
    assert (await stack.outcome(scenario_id, ignorer)).status == "completed"
    assert (await stack.texts(clicker))[-1] == "Glad"
    assert (await stack.texts(ignorer))[-1] == "Did you see the sale?"
    stats = (await stack.api.get(f"/scenarios/{scenario_id}/stats")).json()
    assert {s["id"]: s["clicks"] for s in stats["steps"]}["promo"] == 1
    other_tokens = tracked((await stack.received(ignorer))[0])
    assert set(other_tokens).isdisjoint(links)  # one token per friend and link


async def test_tracked_links_can_be_turned_off(stack):
    scenario_id = await stack.scenario(scenario({**PROMO, "track_links": False}))
    friend = user(502)
    await stack.follow(friend)
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    push = (await stack.received(friend))[0]
    assert push["messages"][0]["text"] == f"セール開催中！詳しくは{SALE}。"


@pytest.mark.parametrize("token", ["nope", "A" * 22, "../../etc/passwd", "a" * 200])
async def test_an_unknown_or_malformed_link_token_is_404(stack, token):
    answer = await stack.api.get(f"/r/{token}")
    assert answer.status_code == 404


async def audience(stack, **body) -> str:
    answer = await stack.api.post("/audiences", json={"name": body.get("kind"), **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def audience_branch(audience_id: str) -> dict:
    return {
        "id": "member",
        "type": "branch",
        "branches": [
            {"label": "in", "when": {"audience": audience_id}, "steps": [text("in", "IN")]}
        ],
        "otherwise": [text("out", "OUT")],
    }


async def prepare(stack, kind: str, scenario_id: str, member: str) -> str:
    """An audience of this kind that `member` is in (or will be, before the branch)."""
    if kind == "upload":
        return await audience(stack, kind="upload", user_ids=[member])
    if kind == "tag":
        await stack.api.post(f"/friends/{member}/tags", json={"tags": ["vip"]})
        return await audience(stack, kind="tag", tag="vip")
    if kind == "route":
        await stack.api.put(f"/friends/{member}/route", json={"route": "flyer"})
        return await audience(stack, kind="route", route="flyer")
    if kind == "event":
        await event(stack, member, "page_view", page="/pricing")
        return await audience(
            stack, kind="event", event="page_view", properties={"page": "/pricing"}, within="P30D"
        )
    if kind == "delivered":
        return await audience(stack, kind="delivered", scenario=scenario_id, step="vip-only")
    return await audience(stack, kind="clicked", scenario=scenario_id, step="promo")


@pytest.mark.parametrize("kind", ["upload", "clicked", "delivered", "tag", "route", "event"])
async def test_each_audience_kind_decides_a_branch(stack, kind):
    member, other = user(510), user(511)
    first = scenario(
        {
            "id": "is-vip",
            "type": "branch",
            "branches": [
                {
                    "label": "vip",
                    "when": {"attribute": "vip", "equals": True},
                    "steps": [text("vip-only", "VIP")],
                }
            ],
        },
        PROMO,
        wait("w", "PT1H"),
        WELCOME,
    )
    scenario_id = await stack.scenario(first, activate=False)
    await stack.api.put(f"/friends/{member}/attributes", json={"vip": True})
    audience_id = await prepare(stack, kind, scenario_id, member)
    second = await stack.api.put(
        f"/scenarios/{scenario_id}",
        json={**first, "steps": [*first["steps"][:3], audience_branch(audience_id)]},
    )
    assert second.status_code == 200, second.text
    assert (await stack.api.post(f"/scenarios/{scenario_id}/activate")).status_code == 200
    for friend in (member, other):
        await stack.follow(friend)
    if kind == "clicked":
        await stack.until_texts(
            member, ["VIP", f"セール開催中！詳しくは{SALE}。", "template"], tracked_as=True
        )
        link = tracked((await stack.received(member))[-1])[0]
        assert (await stack.api.get("/r/" + link.rsplit("/r/", 1)[1])).status_code == 302
    for friend in (member, other):
        assert (await stack.outcome(scenario_id, friend, epoch=1)).status == "completed"
    assert (await stack.texts(member))[-1] == "IN"
    assert (await stack.texts(other))[-1] == "OUT"
    size = (await stack.api.get(f"/audiences/{audience_id}")).json()["size"]
    assert size == 1


async def test_an_audience_trigger_enrols_friends_who_enter_it(stack):
    vips = await audience(stack, kind="tag", tag="vip")
    before, entering = user(520), user(521)
    for friend in (before, entering):
        await stack.follow(friend)
    await stack.api.post(f"/friends/{before}/tags", json={"tags": ["vip"]})
    scenario_id = await stack.scenario(
        scenario(
            text("hello-vip", "Welcome to VIP"), trigger={"type": "audience", "audience": vips}
        )
    )
    # already inside when the scenario started: not "entering"
    await stack.api.put(f"/friends/{before}/attributes", json={"x": 1})
    await stack.api.post(f"/friends/{entering}/tags", json={"tags": ["vip"]})
    assert (await stack.outcome(scenario_id, entering)).status == "completed"
    assert await stack.texts(entering) == ["Welcome to VIP"]
    assert await stack.texts(before) == []
    # leaving and coming back: once per friend unless `reentry`
    await stack.api.delete(f"/friends/{entering}/tags/vip")
    await stack.api.post(f"/friends/{entering}/tags", json={"tags": ["vip"]})
    enrolled = (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    assert [e["user_id"] for e in enrolled] == [entering]


async def test_with_reentry_a_friend_who_leaves_and_comes_back_goes_again(stack):
    vips = await audience(stack, kind="tag", tag="vip")
    scenario_id = await stack.scenario(
        scenario(
            text("hello-vip", "Welcome to VIP"),
            trigger={"type": "audience", "audience": vips},
            reentry=True,
        )
    )
    friend = user(522)
    await stack.follow(friend)
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["vip"]})
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    await stack.api.put(f"/friends/{friend}/attributes", json={"still": "inside"})  # no entry
    await stack.api.delete(f"/friends/{friend}/tags/vip")
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["vip"]})
    await stack.until_texts(friend, ["Welcome to VIP", "Welcome to VIP"])
    enrolled = (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json()
    first = f"enrollment:{scenario_id}:{friend}:1"
    assert sorted(e["id"] for e in enrolled) == [first, f"{first}:2"]


async def test_unknown_audiences_are_refused_with_the_field_named(stack):
    answer = await stack.api.post(
        "/scenarios",
        json=scenario(
            WELCOME,
            trigger={"type": "audience", "audience": "aud_missing"},
            exit=[{"not": {"audience": "aud_gone"}}],
        ),
    )
    assert answer.status_code == 422
    assert [e["path"] for e in answer.json()["detail"]] == [
        "trigger.audience",
        "exit[0].not.audience",
    ]
    assert (await stack.api.get("/scenarios")).json() == []


async def test_switch_ends_here_and_enrols_there_and_tag_steps_tag(stack):
    target = await stack.scenario(
        scenario(text("b1", "From B"), trigger={"type": "event", "event": "never"})
    )
    source = await stack.scenario(
        scenario(
            text("a1", "From A"),
            {"id": "mark", "type": "tag", "add": ["moved"], "remove": ["new"]},
            {"id": "go", "type": "switch", "scenario": target},
        )
    )
    friend = user(530)
    await stack.api.post(f"/friends/{friend}/tags", json={"tags": ["new"]})
    await stack.follow(friend)
    ended = await stack.outcome(source, friend)
    assert ended.status == "completed" and ended.step == "go"
    assert ended.switched_to == f"enrollment:{target}:{friend}:1"
    assert (await stack.outcome(target, friend)).status == "completed"
    assert await stack.texts(friend) == ["From A", "From B"]
    assert (await stack.api.get(f"/friends/{friend}")).json()["tags"] == ["moved"]


async def test_a_switch_to_itself_or_to_nowhere_is_refused(stack):
    bad = scenario(WELCOME, {"id": "go", "type": "switch", "scenario": "scn_nowhere"})
    answer = await stack.api.post("/scenarios", json=bad)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["path"] == "steps[1].scenario"
    after_switch = scenario({"id": "go", "type": "switch", "scenario": "x"}, WELCOME)
    answer = await stack.api.post("/scenarios", json=after_switch)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["path"] == "steps[0].type"


async def test_placeholders_use_the_profile_attributes_and_defaults(fresh_stack):
    stack = fresh_stack
    scenario_id = await stack.scenario(
        scenario(
            {
                "id": "hi",
                "type": "message",
                "messages": [
                    {"type": "text", "text": "{displayName}さん、{attribute:plan}プランです"}
                ],
                "defaults": {"displayName": "お客様", "attribute:plan": "スタンダード"},
            },
            wait("w", "PT1H"),
            {
                "id": "lang",
                "type": "branch",
                "branches": [
                    {
                        "label": "ja",
                        "when": {"attribute": "language", "equals": "ja"},
                        "steps": [text("ja", "日本語")],
                    }
                ],
                "otherwise": [text("en", "English")],
            },
        )
    )
    named, anonymous = user(540), user(541)
    await stack.api.put(f"/friends/{named}/attributes", json={"plan": "ゴールド"})
    await stack.follow(named, display_name="花子", language="ja")
    await stack.follow(anonymous, display_name="", language="en")
    for friend in (named, anonymous):
        assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(named) == ["花子さん、ゴールドプランです", "日本語"]
    assert await stack.texts(anonymous) == ["お客様さん、スタンダードプランです", "English"]
    profile = (await stack.api.get(f"/friends/{named}")).json()
    assert profile["attributes"] == {"plan": "ゴールド"}


async def make_member(stack, kind: str, friend: str, source: str) -> None:
    """The change that puts `friend` into an audience of this kind (see `trigger_audience`)."""
    if kind == "upload":
        answer = await stack.api.put(f"/audiences/{source}/members", json={"user_ids": [friend]})
        assert answer.status_code == 202, answer.text
    elif kind == "route":
        await stack.api.put(f"/friends/{friend}/route", json={"route": "flyer"})
    elif kind == "event":
        await event(stack, friend, "signup", plan="gold")
    elif kind == "clicked":
        link = tracked((await stack.received(friend))[0])[0]
        assert (await stack.api.get("/r/" + link.rsplit("/r/", 1)[1])).status_code == 302


@pytest.mark.parametrize("kind", ["upload", "route", "event", "clicked", "delivered"])
async def test_every_audience_kind_triggers_on_entry(stack, kind):
    feeder = await stack.scenario(scenario(PROMO))  # sends `promo` (delivered, clicked)
    params = {
        "upload": {"user_ids": []},
        "route": {"route": "flyer"},
        "event": {"event": "signup", "properties": {"plan": "gold"}},
        "clicked": {"scenario": feeder, "step": "promo"},
        "delivered": {"scenario": feeder, "step": "promo"},
    }[kind]
    audience_id = await audience(stack, kind=kind, **params)
    triggered = await stack.scenario(
        scenario(text("hi", "You are in"), trigger={"type": "audience", "audience": audience_id})
    )
    friend = user(550)
    await stack.follow(friend)
    assert (await stack.outcome(feeder, friend)).status == "completed"
    await make_member(stack, kind, friend, audience_id)
    await stack.until_enrolled(triggered, friend)
    assert (await stack.outcome(triggered, friend)).status == "completed"
    assert (await stack.texts(friend))[-1] == "You are in"


async def test_wait_for_a_click_goes_on_the_moment_the_link_is_opened(stack):
    scenario_id = await stack.scenario(
        scenario(
            PROMO,
            {
                "id": "open",
                "type": "wait_for",
                "until": {"clicked": "promo"},
                "timeout": "P2D",
                "then": [text("thanks", "Enjoy the sale")],
                "on_timeout": [text("last", "Last day of the sale")],
            },
        )
    )
    friend = user(560)
    await stack.follow(friend)
    await stack.until_texts(
        friend, [f"セール開催中！詳しくは{SALE}。", "template"], tracked_as=True
    )
    link = tracked((await stack.received(friend))[0])[0]
    assert (await stack.api.get("/r/" + link.rsplit("/r/", 1)[1])).status_code == 302
    # no timer fires: the click's signal takes `then`
    await stack.until_status(scenario_id, friend, "completed")
    assert (await stack.texts(friend))[-1] == "Enjoy the sale"


async def test_a_route_link_lets_a_route_limited_scenario_take_the_friend(stack):
    scenario_id = await stack.scenario(
        scenario(text("qr", "Thanks for scanning"), trigger={"type": "follow", "routes": ["qr"]})
    )
    friend = user(570)
    opened = await stack.api.get("/join/qr", headers={"Authorization": ""})
    assert opened.status_code == 302
    authorize = dict(parse_qsl(urlsplit(opened.headers["location"]).query))
    # LINE Login with bot_prompt=aggressive: the friend adds the account while logging in, so
    # the follow webhook comes before the callback that names the route
    login = await stack.emu.post(
        "/emulator/login", json=authorize | {"user_id": friend, "add_friend": True}
    )
    await stack.settle()
    assert (await stack.api.get(f"/scenarios/{scenario_id}/enrollments")).json() == []
    callback = urlsplit(login.json()["location"])
    done = await stack.api.get(f"{callback.path}?{callback.query}", headers={"Authorization": ""})
    assert done.status_code in (200, 302)
    assert (await stack.api.get(f"/friends/{friend}")).json()["route"] == "qr"
    assert (await stack.outcome(scenario_id, friend)).status == "completed"
    assert await stack.texts(friend) == ["Thanks for scanning"]
