"""python -m emulator --port 8001 --webhook-url http://127.0.0.1:8000/webhooks/line"""

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from emulator.app import EmulatorConfig, create_app
from emulator.config import DEFAULT_LOGIN_CHANNEL_ID, DEFAULT_LOGIN_CHANNEL_SECRET


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--webhook-url", default=None, help="where follow/unfollow webhooks go")
    parser.add_argument("--monthly-quota", type=int, default=None, help="default: unlimited")
    parser.add_argument("--rate-limit", type=int, default=2000, help="requests per second")
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="keep friends, chats, coupons, rich menus … in this JSON file across restarts "
        "(default: in memory only)",
    )
    args = parser.parse_args(argv)
    secret = os.environ.get("LINE_CHANNEL_SECRET")
    if not secret:
        sys.exit("LINE_CHANNEL_SECRET is not set: the emulator needs it to sign webhooks")
    config = EmulatorConfig(
        access_token=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
        channel_secret=secret,
        webhook_url=args.webhook_url,
        monthly_quota=args.monthly_quota,
        rate_limit_per_second=args.rate_limit,
        # the emulated LINE Login channel: the same variables the API reads
        login_channel_id=os.environ.get("LINE_LOGIN_CHANNEL_ID") or DEFAULT_LOGIN_CHANNEL_ID,
        login_channel_secret=os.environ.get("LINE_LOGIN_CHANNEL_SECRET")
        or DEFAULT_LOGIN_CHANNEL_SECRET,
        state_file=args.state_file,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
