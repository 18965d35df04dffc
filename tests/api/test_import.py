"""`POST /friends/import`: friend attributes from a CSV file (an Excel export), all or nothing."""

import pytest
from sqlmodel import col, select

from store import imports
from store.tables import Friend
from store.upsert import insert_ignore
from tests.api.helpers import count
from tests.support.pipeline import Recorded, record_changes
from tests.support.stack import user

CSV = {"Content-Type": "text/csv"}


def uid(n: int) -> str:
    return user(0x1000000 + n)  # apart from the ids of other tests


async def post_csv(stack, body: bytes | str, **params):
    data = body.encode() if isinstance(body, str) else body
    return await stack.api.post("/friends/import", content=data, headers=CSV, params=params)


async def attributes_of(stack, user_id: str) -> dict | None:
    async with stack.db.session() as session:
        friend = await session.get(Friend, user_id)
    return None if friend is None else friend.attributes


async def friends_among(stack, user_ids: list[str]) -> int:
    return await count(stack, Friend, col(Friend.user_id).in_(user_ids))


@pytest.fixture
def changes(monkeypatch) -> Recorded:
    # what the import reports (set-up goes through other routes)
    return record_changes(monkeypatch, reasons=("import",))


async def test_five_thousand_rows_in_one_request_merge_with_types(shared, changes):
    known = uid(0)
    await shared.api.put(f"/friends/{known}/attributes", json={"plan": "free", "keep": "me"})
    lines = ["user_id,plan,age,zip,score,vip,note,big"]
    for n in range(5000):
        lines.append(f"{uid(n)},gold,{n % 90},0{n % 1000:03d},1.5,TRUE,null,{10**20}")
    answer = await post_csv(shared, "\n".join(lines) + "\n")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    operation = body.pop("operation")  # what it means for journeys, in the background
    assert body == {
        "imported": 5000,
        "created": 4999,
        "updated": 1,
        "attributes": ["age", "big", "note", "plan", "score", "vip", "zip"],
    }
    assert (operation["action"], operation["total"]) == ("import", 5000)
    done = (await shared.api.get(operation["url"])).json()
    assert (done["status"], done["done"]) == ("done", 5000)
    typed = {"zip": "0000", "score": 1.5, "vip": True, "note": "null", "big": str(10**20)}
    read = (await shared.api.get(f"/friends/{known}")).json()
    assert read["attributes"] == {"plan": "gold", "keep": "me", "age": 0, **typed}
    created = (await shared.api.get(f"/friends/{uid(4321)}")).json()
    assert created["attributes"] == {"plan": "gold", "age": 4321 % 90, **typed, "zip": "0321"}
    assert (created["following"], created["epoch"], created["route"]) == (False, 0, "unknown")
    assert await friends_among(shared, [uid(n) for n in range(5000)]) == 5000
    # merged a chunk a transaction, each with its changes: every friend once, all `import`
    assert {reason for _, reason in changes.calls} == {"import"}
    assert sorted(u for ids, _ in changes.calls for u in ids) == sorted(uid(n) for n in range(5000))

    # the same file again changes nothing: every friend is counted as updated, none reported
    calls = len(changes.calls)
    again = await post_csv(shared, "\n".join(lines))
    assert again.json()["created"] == 0 and again.json()["updated"] == 5000
    assert "operation" not in again.json()
    assert changes.calls[calls:] == []


@pytest.mark.parametrize(
    "cell, value",
    [
        ("27", 27),
        ("-3", -3),
        ("0", 0),
        ("0123", "0123"),
        ("-0", "-0"),
        ("+5", "+5"),
        ("1_000", "1_000"),
        ("２７", "２７"),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1.50", "1.50"),
        ("1e3", "1e3"),
        ("NaN", "NaN"),
        ("inf", "inf"),
        ("true", True),
        ("FALSE", False),
        ("True", True),
        ("yes", "yes"),
        ("null", "null"),
        (" 27", " 27"),
        ('"a, ""quoted"" value"', 'a, "quoted" value'),
        ('"two\nlines"', "two\nlines"),
    ],
)
async def test_cell_types(shared, cell, value):
    friend = uid(10_000)
    answer = await post_csv(shared, f"user_id,v\n{friend},{cell}\n")
    assert answer.status_code == 200, answer.text
    assert (await attributes_of(shared, friend))["v"] == value


async def test_an_empty_cell_leaves_the_attribute_unchanged(shared):
    friend = uid(10_001)
    await shared.api.put(f"/friends/{friend}/attributes", json={"plan": "gold", "area": "osaka"})
    answer = await post_csv(shared, f'user_id,plan,area,age\n{friend},,"",30\n')
    assert answer.status_code == 200, answer.text
    assert answer.json()["updated"] == 1
    assert await attributes_of(shared, friend) == {"plan": "gold", "area": "osaka", "age": 30}


async def test_bom_and_crlf(shared):
    friend = uid(10_002)
    body = f'user_id,plan,memo\r\n{friend},gold,"line one\r\nline two"\r\n'.encode("utf-8-sig")
    answer = await post_csv(shared, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["attributes"] == ["memo", "plan"]
    assert await attributes_of(shared, friend) == {
        "plan": "gold",
        "memo": "line one\r\nline two",
    }


async def test_shift_jis_from_japanese_excel(shared):
    friend = uid(10_003)
    body = f"user_id,地域,会員ランク,メモ\r\n{friend},東京都,ゴールド,①～③ 髙橋様\r\n"
    answer = await post_csv(shared, body.encode("cp932"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["attributes"] == sorted(["地域", "会員ランク", "メモ"])
    read = (await shared.api.get(f"/friends/{friend}")).json()
    assert read["attributes"] == {"地域": "東京都", "会員ランク": "ゴールド", "メモ": "①～③ 髙橋様"}


async def test_multipart_upload(shared):
    friend = uid(10_004)
    data = f"user_id,plan\r\n{friend},ゴールド\r\n".encode("cp932")
    answer = await shared.api.post(
        "/friends/import", files={"file": ("顧客.csv", data, "text/csv")}, data={"note": "x"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body.pop("operation")["total"] == 1  # the friend's journeys: in the background
    assert body == {"imported": 1, "created": 1, "updated": 0, "attributes": ["plan"]}
    assert await attributes_of(shared, friend) == {"plan": "ゴールド"}


async def test_multipart_plain_field_named_file(shared):
    friend = uid(10_005)
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
        + f"user_id,plan\r\n{friend},gold\r\n".encode()
        + b"\r\n--XyZ--\r\n"
    )
    answer = await shared.api.post(
        "/friends/import",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 200, answer.text
    assert await attributes_of(shared, friend) == {"plan": "gold"}


PART = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nuser_id\r\n'


@pytest.mark.parametrize(
    "content_type, body, msg",
    [
        (
            "multipart/form-data; boundary=XyZ",
            PART.replace(b'name="file"', b'name="upload"') + b"--XyZ--\r\n",
            "the multipart/form-data upload has no field `file`",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            PART + PART + b"--XyZ--\r\n",
            "the multipart/form-data upload has more than one field `file`",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            PART,
            "the multipart/form-data body is incomplete (no closing boundary)",
        ),
        (
            "multipart/form-data",
            PART + b"--XyZ--\r\n",
            "the multipart/form-data Content-Type has no boundary",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            b"user_id,plan\r\n",
            "the multipart/form-data body cannot be read",
        ),
    ],
    ids=["no file field", "two files", "incomplete", "no boundary", "not multipart"],
)
async def test_bad_multipart(shared, content_type, body, msg):
    answer = await shared.api.post(
        "/friends/import", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert (problem["path"], problem["type"]) == ("file", "multipart")
    assert problem["msg"].startswith(msg)


async def test_row_problems_are_listed_with_line_and_column_and_nothing_is_written(shared):
    valid, other, new = uid(10_010), uid(10_011), uid(10_012)
    await shared.api.put(f"/friends/{valid}/attributes", json={"plan": "silver"})
    body = "\n".join(
        [
            "user_id,plan,memo",
            f"{valid},gold,ok",  # 2: fine, but must not be written
            "U123,gold,",  # 3
            f"{new},gold,{'x' * 1001}",  # 4
            f"{other},gold",  # 5
            f"{valid},bronze,",  # 6
            "",  # 7: blank, skipped
            ",,",  # 8: nothing in it, skipped
            ',gold,"two',  # 9: the quoted field goes on to line 10
            'lines"',
            f"{other.upper()},gold,x\x00y",  # 11
        ]
    )
    answer = await post_csv(shared, body)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {
        "detail": [
            {
                "path": "line 3.user_id",
                "msg": "not a LINE user ID (U followed by 32 lowercase hex digits): 'U123'",
                "type": "string_pattern_mismatch",
            },
            {
                "path": "line 4.memo",
                "msg": "longer than 1000 characters",
                "type": "string_too_long",
            },
            {
                "path": "line 5",
                "msg": "2 fields, but the header has 3 (a value with a comma must be quoted)",
                "type": "field_count",
            },
            {
                "path": "line 6.user_id",
                "msg": "duplicate user_id: already on line 2",
                "type": "duplicate",
            },
            {"path": "line 9.user_id", "msg": "user_id is empty", "type": "missing"},
            {
                "path": "line 11.user_id",
                "msg": "not a LINE user ID (U followed by 32 lowercase hex digits): "
                f"'{other.upper()}'",
                "type": "string_pattern_mismatch",
            },
            {
                "path": "line 11.memo",
                "msg": "NUL characters are not allowed",
                "type": "nul_character",
            },
        ]
    }
    assert await attributes_of(shared, valid) == {"plan": "silver"}
    assert await friends_among(shared, [other, new]) == 0


async def test_at_most_a_hundred_problems(shared):
    body = "user_id,plan\n" + "".join(f"bad{n},x\n" for n in range(150))
    detail = (await post_csv(shared, body)).json()["detail"]
    assert len(detail) == 100
    assert detail[0]["path"] == "line 2.user_id"
    assert detail[98]["path"] == "line 100.user_id"
    assert detail[99] == {
        "path": "file",
        "msg": "more than 100 problems: only the first 99 are listed",
        "type": "too_many_problems",
    }


@pytest.mark.parametrize(
    "header, path, msg",
    [
        (
            "plan,user_id",
            "line 1.column 1",
            "the first column must be user_id, not 'plan' (user_id is column 2)",
        ),
        ("User_ID,plan", "line 1.column 1", "the first column must be user_id, not 'User_ID'"),
        (
            "user_id;plan",
            "line 1.column 1",
            "the first column must be user_id, not 'user_id;plan': columns must be separated "
            "by commas",
        ),
        (
            uid(20_000) + ",gold",
            "line 1.column 1",
            "the header row is missing: line 1 must name the columns, user_id first",
        ),
        ("user_id,plan,plan", "line 1.column 3", "duplicate column name 'plan' (also column 2)"),
        (
            "user_id,plan,user_id",
            "line 1.column 3",
            "duplicate column name 'user_id' (also column 1)",
        ),
        ("user_id,,plan", "line 1.column 2", "the column name is empty"),
        ("user_id,plan, ", "line 1.column 3", "the column name is empty"),
        (
            "user_id," + "k" * 101,
            "line 1.column 2",
            "the column name is longer than 100 characters",
        ),
        ("\nuser_id,plan", "line 1.column 1", "the first column must be user_id, not ''"),
    ],
    ids=[
        "not first",
        "case",
        "semicolons",
        "no header",
        "duplicate",
        "user_id twice",
        "empty",
        "blank",
        "long",
        "blank first line",
    ],
)
async def test_bad_header(shared, header, path, msg):
    friend = uid(10_020)
    answer = await post_csv(shared, f"{header}\n{friend},gold\n")
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == [{"path": path, "msg": msg, "type": "header"}]
    assert await friends_among(shared, [friend, uid(20_000)]) == 0


async def test_unclosed_quote(shared):
    friend = uid(10_021)
    body = f'user_id,memo\n{friend},fine\n{uid(10_022)},"never closed\n{uid(10_023)},x\n'
    answer = await post_csv(shared, body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "path": "line 3",
            "msg": "unclosed quote: the quoted field that starts here never ends",
            "type": "csv_syntax",
        }
    ]
    assert await friends_among(shared, [friend]) == 0


async def test_text_after_a_closing_quote(shared):
    answer = await post_csv(shared, f'user_id,memo\n{uid(10_024)},"a"b\n')
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert (problem["path"], problem["type"]) == ("line 2", "csv_syntax")


@pytest.mark.parametrize(
    "body", [b"", b"\xef\xbb\xbf", b"\r\n\n  \n"], ids=["empty", "bom", "blank"]
)
async def test_empty_file(shared, body):
    answer = await post_csv(shared, body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {
            "path": "file",
            "msg": "the file is empty: expected a header row starting with user_id",
            "type": "empty",
        }
    ]


async def test_a_header_alone_imports_nothing(shared):
    answer = await post_csv(shared, "user_id,plan\r\n")
    assert answer.json() == {"imported": 0, "created": 0, "updated": 0, "attributes": ["plan"]}


@pytest.mark.parametrize(
    "body, msg",
    [
        (
            b"user_id,plan\n" + uid(10_030).encode() + b",\x81\x20\n",
            "neither UTF-8 nor Shift_JIS (cp932) text: undecodable bytes on line 2",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "this is an Excel workbook, not a CSV file: save it as "
            "“CSV UTF-8 (comma delimited)” and upload that",
        ),
        (
            "user_id,plan\n".encode("utf-16"),
            "UTF-16 text is not supported: save the file as “CSV UTF-8 (comma delimited)” "
            "(or Shift_JIS CSV)",
        ),
    ],
    ids=["undecodable", "xlsx", "utf-16"],
)
async def test_files_that_are_not_csv_text(shared, body, msg):
    answer = await post_csv(shared, body)
    assert answer.status_code == 422
    assert [p["path"] for p in answer.json()["detail"]] == ["file"]
    assert answer.json()["detail"][0]["msg"] == msg
    assert await friends_among(shared, [uid(10_030)]) == 0


async def test_dry_run_counts_and_writes_nothing(shared, changes):
    known, new = uid(10_040), uid(10_041)
    await shared.api.put(f"/friends/{known}/attributes", json={"plan": "silver"})
    body = f"user_id,plan\n{known},gold\n{new},gold\n"
    answer = await post_csv(shared, body, dry_run="true")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"imported": 2, "created": 1, "updated": 1, "attributes": ["plan"]}
    assert await attributes_of(shared, known) == {"plan": "silver"}
    assert await friends_among(shared, [new]) == 0
    assert changes.calls == []
    bad = await post_csv(shared, "user_id\nnobody\n", dry_run="true")
    assert bad.status_code == 422


async def test_over_20_mib_is_413(shared):
    body = b"user_id,memo\n" + b"x" * (20 * 1024 * 1024)
    answer = await post_csv(shared, body)
    assert answer.status_code == 413
    assert "larger than 20 MiB" in answer.json()["detail"]

    async def chunks():  # no Content-Length: counted as it arrives
        yield b"user_id,memo\n"
        for _ in range(21):
            yield b"y" * (1024 * 1024)

    streamed = await shared.api.post("/friends/import", content=chunks(), headers=CSV)
    assert streamed.status_code == 413
    assert "larger than 20 MiB" in streamed.json()["detail"]
    assert answer.json()["detail"].endswith(
        "split the file and import the parts one after the other"
    )
    assert streamed.json()["detail"] == answer.json()["detail"]


async def test_other_content_types_are_415(shared):
    answer = await shared.api.post("/friends/import", json={"user_id": uid(10_050)})
    assert answer.status_code == 415
    assert "text/csv" in answer.json()["detail"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token"}], ids=["missing", "wrong"]
)
@pytest.mark.parametrize("content_type", ["text/csv", "application/json"])
async def test_needs_the_admin_token(shared, headers, content_type):
    friend = uid(10_060)
    async with shared.api.__class__(base_url=str(shared.api.base_url)) as anonymous:
        answer = await anonymous.post(
            "/friends/import",
            content=f"user_id,plan\n{friend},gold\n",
            headers={**headers, "Content-Type": content_type},
        )
    assert answer.status_code == 401
    assert answer.json() == {"detail": "missing or wrong bearer token"}
    assert await friends_among(shared, [friend]) == 0


async def test_import_is_not_taken_for_a_user_id(shared):
    # POST /friends/import is the import (every test here); other methods are /{user_id}'s
    answer = await shared.api.get("/friends/import")
    assert answer.status_code == 422
    assert [p["path"] for p in answer.json()["detail"]] == ["user_id"]
    bad_query = await post_csv(shared, "user_id\n", dry_run="maybe")
    assert bad_query.status_code == 422
    assert bad_query.json()["detail"][0]["path"] == "dry_run"


async def test_store_merges_in_one_go_on_each_database(db, monkeypatch):
    """The store part alone, on SQLite and PostgreSQL; includes a friend that someone else
    creates between our look and our insert, which gets the file's attributes merged."""
    known, new, racer = uid(30_000), uid(30_001), uid(30_002)
    async with db.session() as session:
        await insert_ignore(session, Friend, [{"user_id": known, "attributes": {"keep": 1}}])
        await session.commit()
    locked = imports._locked

    async def someone_creates_racer(session, user_ids):
        found = await locked(session, user_ids)
        if racer in user_ids and racer not in found:
            await insert_ignore(session, Friend, [{"user_id": racer, "attributes": {"own": 2}}])
        return found

    monkeypatch.setattr(imports, "_locked", someone_creates_racer)
    body = f"user_id,plan,n\n{known},gold,1\n{new},silver,\n{racer},gold,3\n".encode()
    async with db.session() as session:
        result = await imports.import_attributes(session, imports.parse(body))
    assert (result.imported, result.created, result.updated) == (3, 1, 2)
    assert result.changed == sorted([known, new, racer])
    async with db.session() as session:
        rows = {f.user_id: f for f in (await session.exec(select(Friend))).all()}
    assert rows[known].attributes == {"keep": 1, "plan": "gold", "n": 1}
    assert rows[new].attributes == {"plan": "silver"}
    assert rows[racer].attributes == {"own": 2, "plan": "gold", "n": 3}
    assert not rows[new].following
