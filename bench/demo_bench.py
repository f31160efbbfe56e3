"""Benchmark: a fresh copy of the repository -> `make demo` -> every first page populated.

    .venv/bin/python bench/demo_bench.py --database-url postgres://postgres@127.0.0.1:5432/mh_demo_bench \
        --redis-url redis://127.0.0.1:6379/9 --port 8765 [--wait-finetune-minutes 15]

What it does, and what it measures:
1. copies the working tree (tracked and untracked, not ignored files: `git ls-files -co
   --exclude-standard`, timestamps kept) to a temporary directory: the fresh clone, with the
   uncommitted work in it; its `.venv` is a symlink to this checkout's (the venv is "current");
2. drops the database (so `make demo` must create it: the newcomer's case) and empties the Redis db;
3. runs `make -o install demo HOST=127.0.0.1 PORT=...` in its own process group (install_s is
   `make install` when --install is given, else 0: the venv is current), printing make's lines
   with the bench's clock in front;
4. serve_s: from the start of `make demo` until the dashboard answers 200 to the admin login;
   then opens the first pages (dashboard, campaigns, tier changes, reviews, recommendations,
   segments, models) and counts the rows behind them in the database: pages_populated=N/7;
5. with --wait-finetune-minutes: waits for the background fine-tune run and reports when it ended
   and whether it was promoted (finetune=promoted@<s> / kept-baseline@<s> / failed / running);
6. sends TERM to make (as `kill` or a closing terminal would) and measures stop_s: until the
   server's port is closed and no process of the demo is left.

The last line is `RESULT serve_s=... install_s=... pages_populated=N/7 finetune=... stop_s=...`.
Nothing here is a timed test: numbers depend on the machine and its load (printed with them).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/campaigns/", "/tier-changes/", "/reviews/", "/recommendations/", "/segments/", "/models/")
# What must exist in the database for each page to show what it is for (one count per page).
POPULATED_SQL = {
    "/": "SELECT count(*) FROM members_member WHERE tier_id IS NOT NULL",
    "/campaigns/": "SELECT count(*) FROM members_campaign",
    "/tier-changes/": "SELECT count(*) FROM members_tierchange",
    "/reviews/": "SELECT count(*) FROM members_review WHERE scored_at IS NOT NULL",
    "/recommendations/": "SELECT count(*) FROM members_recommendation",
    "/segments/": "SELECT count(*) FROM members_segment WHERE active",
    "/models/": "SELECT count(*) FROM members_modelversion WHERE status = 'active'",
}


def processes_in(directory: Path) -> list[int]:
    """Processes whose working directory is `directory` (make, the demo script, server, worker)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if Path(os.readlink(proc / "cwd")) == directory:
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def partner_commands(work: Path, base: str) -> str:
    """The README's partner steps as a newcomer types them: manage.py with nothing exported (it
    must find make's database through .env), then the PUT and the bulk POST of examples/orders.json."""
    import json

    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    made = subprocess.run([".venv/bin/python", "manage.py", "create_api_key", "Bench partner", "--scopes",
                           "members:read,members:write,orders:write"], cwd=work, env=env, capture_output=True,
                          text=True, check=False)
    key = re.search(r"mh_[A-Za-z0-9]+_[A-Za-z0-9_-]+", made.stdout)
    if made.returncode != 0 or key is None:
        return f"create_api_key failed: {(made.stderr or made.stdout).strip().splitlines()[-1:]}"
    headers = {"Authorization": f"Bearer {key.group(0)}", "Content-Type": "application/json"}
    member = json.dumps({"email": "ada@example.com", "name": "Ada", "joined_at": "2026-01-05T10:00:00Z",
                         "country": "GB"}).encode()
    try:
        put = urllib.request.Request(base + "/api/v1/members/M-1001/", data=member, headers=headers, method="PUT")
        urllib.request.urlopen(put, timeout=30).read()
        bulk = urllib.request.Request(base + "/api/v1/orders/bulk/", data=(work / "examples/orders.json").read_bytes(),
                                      headers=headers, method="POST")
        counts = json.loads(urllib.request.urlopen(bulk, timeout=30).read())["counts"]
    except (OSError, ValueError, KeyError) as exc:
        return f"API call failed: {exc}"
    return "ok " + ",".join(f"{k}:{v}" for k, v in counts.items())


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def copy_worktree(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)  # keeps mtimes: make sees the venv as current when it is
    (dest / ".venv").symlink_to(ROOT / ".venv")


def database_reset(url: str) -> None:
    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def redis_flush(url: str) -> None:
    parts = urllib.parse.urlparse(url)
    db = parts.path.lstrip("/") or "0"
    subprocess.run(["redis-cli", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379), "-n", db,
                    "flushdb"], check=True, capture_output=True)


def http_ok(url: str, opener=None, timeout: float = 5) -> bool:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):  # refused, reset, timed out, HTTP errors (URLError/HTTPError are OSErrors)
        return False


def login(base: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": "admin", "password": password, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(base + "/login/", data=data, headers={"Referer": base + "/login/"})
    opener.open(request, timeout=20).read()
    return opener


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/mh_demo_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--install", action="store_true", help="let make install the venv (timed as install_s)")
    parser.add_argument("--wait-finetune-minutes", type=float, default=0.0)
    parser.add_argument("--serve-timeout", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="keep the copied checkout (path printed)")
    args = parser.parse_args()

    print(f"load average at start: {load_average()}  ({os.cpu_count()} CPUs)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="demo-bench-"))
    copy_worktree(work)
    database_reset(args.database_url)
    redis_flush(args.redis_url)
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "MEMBERHUB_ENV_FILE")}
    env.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url,
               MEMBERHUB_ARTIFACT_DIR=str(work / "artifacts"), PYTHONUNBUFFERED="1")

    install_s = 0.0
    if args.install:
        started = time.monotonic()
        subprocess.run(["make", "install"], cwd=work, env=env, check=True)
        install_s = time.monotonic() - started
    elif subprocess.run(["make", "-q", "install"], cwd=work, env=env, check=False).returncode != 0:
        print("note: the venv is not current for this pyproject.toml; make demo runs with -o install "
              "(install not redone, not timed)", flush=True)

    started = time.monotonic()
    make = subprocess.Popen(["make", "-o", "install", "demo", "HOST=127.0.0.1", f"PORT={args.port}"], cwd=work,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    log: list[str] = []

    def echo() -> None:
        for line in make.stdout:
            log.append(line)
            print(f"[bench {time.monotonic() - started:7.1f} s] {line}", end="", flush=True)

    threading.Thread(target=echo, daemon=True).start()
    base = f"http://127.0.0.1:{args.port}"
    serve_s = None
    while time.monotonic() - started < args.serve_timeout and make.poll() is None:
        if http_ok(base + "/login/") and (work / ".demo-admin-password").exists():
            opener = login(base, (work / ".demo-admin-password").read_text().strip())
            if http_ok(base + "/", opener):
                serve_s = time.monotonic() - started
                break
        time.sleep(1)
    populated = 0
    if serve_s is not None:
        print(f"dashboard answered 200 after {serve_s:.1f} s; load average {load_average()}", flush=True)
        with psycopg.connect(args.database_url) as conn:
            for page in PAGES:
                page_started = time.monotonic()
                ok = http_ok(base + page, opener, timeout=60)
                took = time.monotonic() - page_started
                rows = conn.execute(POPULATED_SQL[page]).fetchone()[0]
                populated += bool(ok and rows)
                print(f"  {page:20} {'200' if ok else 'FAIL'} in {took:5.1f} s  {rows} rows behind it", flush=True)

    partner = "not-run"
    if serve_s is not None:
        partner = partner_commands(work, base)
        print(f"README partner commands (create_api_key without DATABASE_URL, PUT member, bulk orders.json): "
              f"{partner}", flush=True)

    finetune = "not-waited"
    if serve_s is not None and args.wait_finetune_minutes > 0:
        deadline = time.monotonic() + args.wait_finetune_minutes * 60
        finetune = "running"
        while time.monotonic() < deadline:
            with psycopg.connect(args.database_url) as conn:
                run = conn.execute("SELECT id, status, error FROM members_trainingrun ORDER BY id DESC LIMIT 1").fetchone()
                kind = conn.execute("SELECT kind FROM members_modelversion WHERE status = 'active' AND task = 'sentiment'"
                                    ).fetchone()
            if run and run[1] in ("succeeded", "failed", "cancelled"):
                at = time.monotonic() - started
                finetune = (f"promoted@{at:.0f}s" if kind and kind[0] == "finetuned"
                            else f"{run[1]}-kept-{kind[0] if kind else 'none'}@{at:.0f}s")
                if run[2]:
                    print(f"fine-tune run {run[0]}: {run[2]}", flush=True)
                break
            time.sleep(10)

    stop_started = time.monotonic()
    os.kill(make.pid, signal.SIGTERM)  # make passes TERM to its recipe's shell (scripts/demo.sh)
    stop_s = None
    while time.monotonic() - stop_started < 60:
        if not http_ok(base + "/login/") and not processes_in(work):
            stop_s = time.monotonic() - stop_started
            break
        time.sleep(0.2)
    left = processes_in(work)
    for pid in left:  # the bench cleans up after a demo that did not stop (and reports it)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    print(f"load average at end: {load_average()}", flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"copy kept at {work}")
    print(f"RESULT serve_s={serve_s if serve_s is None else round(serve_s, 1)} install_s={install_s:.1f} "
          f"pages_populated={populated}/{len(PAGES)} partner={partner.split(' ')[0]} finetune={finetune} "
          f"stop_s={stop_s if stop_s is None else round(stop_s, 1)} leftover_processes={len(left)}")
    return 0 if serve_s is not None else 1


if __name__ == "__main__":
    sys.exit(main())
