"""The dashboard in Japanese and English: the browser's Accept-Language chooses (ja → Japanese,
anything else English), the switch in the nav overrides it with a cookie, and the Japanese
catalog translates every string marked in the dashboard's Python and templates."""

import configparser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from api.dashboard import i18n
from api.dashboard.language import back_to
from app.wording import describe
from tests.support.stack import ADMIN_TOKEN, user

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "NC_": ((1, "c"), 2)}  # the Makefile's `-k NC_:1c,2`
FRIEND = user(0x18)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("en-US,ja;q=0.5", "en"),
        ("fr-FR,fr;q=0.9,ja;q=0.5", "ja"),  # of the two it speaks, the one it prefers
        ("fr-FR,de", "en"),  # neither: English
        ("zh-CN", "en"),
        ("ja;q=0,en;q=0.1", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("ja;q=banana, ;;, <script>", "en"),
    ],
)
def test_accept_language_chooses_japanese_or_english(header, language):
    assert i18n.negotiate(header) == language


def _extracted() -> set[tuple[str | None, str | tuple[str, ...]]]:
    """Every (context, msgid) marked in the places babel.cfg names, as `make messages` finds."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [tuple(reversed(s.split(":", 1))) for s in config.sections()]
    method_map = [(pattern.strip(), method.strip()) for pattern, method in method_map]
    found = set()
    for _, _, message, _, context in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        found.add((context, message if isinstance(message, str) else tuple(message[:2])))
    return found


def test_the_japanese_catalog_translates_every_marked_string():
    """A new `_("…")` in a template or a new N_ message fails here until `make messages` has
    put it in ja/messages.po and it is translated there (nothing ships English-only)."""
    with (i18n.LOCALES / "ja" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ja")
    translated = {
        (m.context, m.id)
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    wanted = _extracted()
    assert len(wanted) > 150  # the extraction found the templates
    missing = sorted(map(str, wanted - translated))
    assert not missing, "untranslated in ja (run `make messages`, then translate):\n" + "\n".join(
        missing
    )
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems  # placeholders (%(name)s) kept as the msgid has them


def test_the_catalogs_load_and_english_is_the_msgids():
    ja, en = i18n.load("ja"), i18n.load("en")
    assert ja.gettext("Scenarios") == "シナリオ"
    assert ja.pgettext("status", "waiting") == "待機中"
    assert en.gettext("Scenarios") == "Scenarios"
    assert i18n.load("ja", ROOT / "nowhere").gettext("Scenarios") == "Scenarios"


def test_the_timeline_words_stay_english_for_the_cli_and_are_translated_for_japanese():
    entry = {"kind": "enrolled", "detail": {"version": 2, "entry": 3}}
    assert describe(entry, clock=str) == "enrolled (version 2, entry 3)"
    words = describe(entry, clock=str, translations=i18n.load("ja"))
    assert words == "購読開始（バージョン 2、3 回目）"


@pytest.mark.parametrize(
    ("detail", "english", "japanese"),
    [
        ({"via": "reply"}, "sent as a free reply welcome", "無料の応答で送信 welcome"),
        ({"via": "push", "silent": True}, "sent (silently) welcome", "送信（通知なし） welcome"),
        ({"via": "push"}, "sent welcome", None),
    ],
)
def test_a_send_says_whether_it_went_as_a_reply_or_silently(detail, english, japanese):
    entry = {"kind": "sent", "step_id": "welcome", "detail": detail}
    assert describe(entry, clock=str) == english
    if japanese:
        assert describe(entry, clock=str, translations=i18n.load("ja")) == japanese
    lost = {"kind": "unconfirmed", "step_id": "welcome", "detail": {"via": "reply"}}
    assert describe(lost, clock=str) == "replied, unconfirmed welcome"


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("/dashboard/friends?q=U1", "/dashboard/friends?q=U1"),
        ("/login?next=%2Fdashboard%2Ffriends", "/login?next=%2Fdashboard%2Ffriends"),
        ("/login", "/login"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/login\\@evil", "/"),
        ("", "/"),
    ],
)
def test_the_switch_goes_back_to_this_site_only(value, target):
    assert back_to(value) == target


async def _get(stack, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as client:
        return await client.get(path, headers={"authorization": f"Bearer {ADMIN_TOKEN}", **headers})


async def test_pages_follow_accept_language(shared):
    await shared.follow(FRIEND, display_name="Hanako")
    japanese = await _get(shared, "/", **{"accept-language": "ja-JP,ja;q=0.9,en;q=0.8"})
    assert japanese.status_code == 200
    assert '<html lang="ja">' in japanese.text and "<h1>シナリオ</h1>" in japanese.text
    assert "ログアウト" in japanese.text and japanese.headers["content-language"] == "ja"
    friends = await _get(shared, "/dashboard/friends", **{"accept-language": "ja"})
    assert "<h1>友だち</h1>" in friends.text and "ユーザーID" in friends.text
    friend = await _get(shared, f"/dashboard/friends/{FRIEND}", **{"accept-language": "ja"})
    assert "プロフィール" in friend.text and "タイムライン" in friend.text
    assert "友だち追加" in friend.text  # the timeline's words too
    missing = await _get(shared, "/dashboard/scenarios/scn_nope", **{"accept-language": "ja"})
    assert missing.status_code == 404 and "見つかりません" in missing.text

    for header in ("en-US,en;q=0.9", "fr-FR,fr;q=0.9", ""):
        english = await _get(shared, "/", **{"accept-language": header})
        assert '<html lang="en">' in english.text and "<h1>Scenarios</h1>" in english.text
    plain = await _get(shared, f"/dashboard/friends/{FRIEND}")
    assert "Profile" in plain.text and "added the account" in plain.text


async def test_the_login_form_speaks_japanese(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url), timeout=30) as client:
        form = await client.get("/login", headers={"accept-language": "ja"})
        wrong = await client.post(
            "/login", data={"token": "wrong"}, headers={"accept-language": "ja"}
        )
    assert '<html lang="ja">' in form.text and "ダッシュボードにログイン" in form.text
    assert 'action="/language"' in form.text and 'value="English"' in form.text
    assert (
        wrong.status_code == 401
        and "管理トークン（STEPLINE_ADMIN_TOKEN）が正しくありません" in wrong.text
    )


async def test_the_switch_sets_a_cookie_that_sticks(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url), timeout=30) as client:
        client.headers["authorization"] = f"Bearer {ADMIN_TOKEN}"
        switched = await client.post(
            "/language", data={"lang": "ja", "next": "/dashboard/friends?q=U"}
        )
        assert switched.status_code == 303
        assert switched.headers["location"] == "/dashboard/friends?q=U"
        cookie = switched.headers["set-cookie"]
        assert cookie.startswith(f"{i18n.COOKIE}=ja") and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie and "Max-Age=31536000" in cookie
        page = await client.get("/", headers={"accept-language": "en-US"})  # the cookie wins
        assert '<html lang="ja">' in page.text and "<h1>シナリオ</h1>" in page.text
        assert (await client.get("/dashboard/friends")).text.count("<h1>友だち</h1>") == 1

        back = await client.post("/language", data={"lang": "en", "next": "/"})
        assert back.status_code == 303 and back.headers["location"] == "/"
        page = await client.get("/", headers={"accept-language": "ja"})
        assert '<html lang="en">' in page.text and "<h1>Scenarios</h1>" in page.text

        unknown = await client.post("/language", data={"lang": "fr", "next": "/"})
        assert unknown.status_code == 422 and "set-cookie" not in unknown.headers
        away = await client.post("/language", data={"lang": "ja", "next": "//evil.example/"})
        assert away.headers["location"] == "/"


async def test_the_switch_is_refused_from_another_site(shared):
    async with httpx.AsyncClient(base_url=str(shared.api.base_url), timeout=30) as client:
        forged = await client.post(
            "/language",
            data={"lang": "ja", "next": "/"},
            headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
        )
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
