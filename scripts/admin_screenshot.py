"""Screenshot the operations admin: the members list and one member's page.

Logs in to a running MemberHub at BASE_URL and writes members-changelist.png and member-change.png
into OUT_DIR. Drives Debian's Chromium (/usr/bin/chromium) through Playwright; it never downloads
a browser.

    .venv/bin/python scripts/admin_screenshot.py --base-url http://127.0.0.1:8031 \
        --username admin --password secret --out-dir /tmp/shots [--member-id 42]
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 1000}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="where the server runs, e.g. http://127.0.0.1:8031")
    parser.add_argument("--username", required=True, help="a staff user allowed to view members")
    parser.add_argument("--password", required=True)
    parser.add_argument("--out-dir", required=True, type=Path, help="folder for the PNG files (created)")
    parser.add_argument("--member-id", type=int, help="member to show; default: the first one listed")
    return parser.parse_args(argv)


def take_screenshots(*, base_url: str, username: str, password: str, out_dir: Path, member_id: int | None) -> list[Path]:
    """Log in, then save the two pages; returns the written paths. Fails loudly if login fails."""
    base_url = base_url.rstrip("/")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{base_url}/admin/login/?next=/admin/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("input[type=submit]")
            page.wait_for_load_state()
            if "/admin/login/" in page.url:
                raise SystemExit(f"Login as {username!r} failed at {base_url}: check the credentials.")

            page.goto(f"{base_url}/admin/members/member/")
            written.append(out_dir / "members-changelist.png")
            page.screenshot(path=written[-1], full_page=True)

            if member_id is None:
                first = page.locator("#result_list tbody tr th a").first
                if first.count() == 0:
                    raise SystemExit("The members list is empty: add members or pass --member-id.")
                first.click()
                page.wait_for_load_state()
            else:
                page.goto(f"{base_url}/admin/members/member/{member_id}/change/")
            written.append(out_dir / "member-change.png")
            page.screenshot(path=written[-1], full_page=True)
        finally:
            browser.close()
    return written


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    for path in take_screenshots(
        base_url=args.base_url, username=args.username, password=args.password,
        out_dir=args.out_dir, member_id=args.member_id,
    ):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
