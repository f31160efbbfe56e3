"""Benchmark: GET /api/v1/members/ against a bare Django view returning the same 100 rows, under wrk.

    .venv/bin/python bench/api_bench.py            # DATABASE_URL defaults to .../memberhub_bench_api

Creates the database if it does not exist, migrates it and loads --members members in one
INSERT ... SELECT generate_series (skipped when they are already there). Issues a throw-away API key
with every scope, serves the app with gunicorn (DEBUG=0, settings bench.bench_settings, which add the
baseline route /bench/bare-members/ and raise the throttle rate so it counts but never refuses), and
loads both URLs with wrk, alternating api, bare, api, bare ... with the same threads, connections and
duration. Any non-2xx answer or socket error stops the bench: the figures would not mean anything.
The API key is revoked at the end; the members stay for the next run.
The last line is `RESULT api_rps=... bare_rps=... ratio=... api_p99_ms=...` (means over the rounds).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/memberhub_bench_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"  # the throttle and key-use gate count here, as in production
SETTINGS = "bench.bench_settings"
PREFIX = "BENCHAPI-"  # external ids of the members the bench loads
API_PATH = "/api/v1/members/?page_size={page_size}"
BARE_PATH = "/bench/bare-members/?page_size={page_size}"
READY_TIMEOUT_S = 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members in the bench database")
    parser.add_argument("--page-size", type=int, default=100, help="rows per response, both URLs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync", help="gunicorn worker")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c")
    parser.add_argument("--duration", default="15s", help="wrk -d, per measured run")
    parser.add_argument("--warmup", default="3s", help="wrk -d of one unmeasured run per URL first")
    parser.add_argument("--rounds", type=int, default=2, help="api+bare pairs, alternated")
    parser.add_argument("--wrk-timeout", default="10s",
                        help="wrk --timeout; a timed-out request is a socket error, which stops the bench")
    return parser.parse_args()


def database_ensure(url: str) -> None:
    """Create the database named in `url` if it is missing (connecting to the `postgres` database)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("api_bench: DATABASE_URL must point at Postgres.")
    params = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None,
              "password": config["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def members_load(count: int) -> int:
    """Top the bench members up to `count`, set-based, spread over every tier; returns how many were added."""
    from django.db import connection, transaction

    from members.models import Member, Tier

    present = Member.objects.filter(external_id__startswith=PREFIX).count()
    if present >= count:
        return 0
    tier_ids = list(Tier.objects.order_by("rank").values_list("pk", flat=True))
    if not tier_ids:
        sys.exit("api_bench: no tiers in the database (migration 0002 seeds the default ladder).")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (external_id, email, name, joined_at, country, city, birth_year,"
            " gender, status, marketing_consent, tier_id, created_at, updated_at)"
            " SELECT %(prefix)s || lpad(g::text, 8, '0'), 'member' || g || '@example.com',"
            "  'Bench Member ' || g, now() - make_interval(mins => g),"
            "  (ARRAY['United Kingdom', 'Germany', 'France', 'Netherlands', 'Spain'])[1 + g %% 5],"
            "  (ARRAY['London', 'Berlin', 'Paris', 'Amsterdam', 'Madrid', 'Leeds', 'Lyon'])[1 + g %% 7],"
            "  1940 + g %% 65, (ARRAY['f', 'm', 'x', ''])[1 + g %% 4],"
            "  CASE WHEN g %% 20 = 0 THEN 'closed' ELSE 'active' END, g %% 3 = 0,"
            "  (%(tiers)s::bigint[])[1 + g %% %(tier_count)s], now(), now()"
            " FROM generate_series(%(first)s, %(last)s) g ON CONFLICT (external_id) DO NOTHING",
            {"prefix": PREFIX, "tiers": tier_ids, "tier_count": len(tier_ids), "first": present + 1, "last": count},
        )
        added = cursor.rowcount
        cursor.execute("ANALYZE members_member")
    return added


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(args: argparse.Namespace, port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "memberhub.wsgi:application",
               "--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
               "--worker-class", args.worker_class, "--log-level", "warning"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    # Its own process group, so stopping it stops its workers and nothing else.
    return subprocess.Popen(command, env=env, start_new_session=True)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"api_bench: gunicorn exited with code {server.returncode} before it was ready.")
        try:
            if http_get(base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"api_bench: gunicorn was not ready within {READY_TIMEOUT_S} s.")


def responses_check(api_url: str, bare_url: str, auth: dict[str, str], page_size: int) -> None:
    """Both URLs answer 200 with the same rows and the same fields, or the comparison is meaningless."""
    api_status, api_body = http_get(api_url, auth)
    bare_status, bare_body = http_get(bare_url)
    if api_status != 200 or bare_status != 200:
        sys.exit(f"api_bench: warm-up answers api={api_status} bare={bare_status}: {api_body[:300]!r}")
    api_rows, bare_rows = json.loads(api_body)["results"], json.loads(bare_body)["results"]
    if len(api_rows) != page_size or [r["external_id"] for r in api_rows] != [r["external_id"] for r in bare_rows]:
        sys.exit("api_bench: the API and the bare view do not return the same rows.")
    if set(api_rows[0]) != set(bare_rows[0]):
        sys.exit(f"api_bench: fields differ: api {sorted(api_rows[0])} bare {sorted(bare_rows[0])}")


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_run(url: str, args: argparse.Namespace, duration: str, headers: list[str]) -> dict[str, float]:
    """One wrk run; exits loudly on any non-2xx answer or socket error. Returns rps, p99_ms, requests."""
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", duration, "--latency",
               "--timeout", args.wrk_timeout]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        sys.exit(f"api_bench: {match.group(1)} non-2xx answers from {url}; the bench is broken.\n{output}")
    if match := re.search(r"Socket errors: (.+)", output):
        sys.exit(f"api_bench: socket errors ({match.group(1)}) on {url}.\n{output}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    requests = re.search(r"(\d+) requests in", output)
    if not (rps and p99 and requests):
        sys.exit(f"api_bench: could not read wrk's output:\n{output}")
    return {"rps": float(rps.group(1)), "p99_ms": float(p99.group(1)) * _UNIT_MS[p99.group(2)],
            "requests": int(requests.group(1))}


def workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds used so far by gunicorn's workers (the master's children), from /proc.

    Unlike requests per second, this hardly moves when other processes compete for the CPUs.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended while we looked
        if int(fields[1]) == master_pid:  # fields[1] is the parent pid; [11], [12] are utime, stime
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("api_bench: wrk is not installed (Debian: apt-get install wrk).")
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, DEBUG="0")
    os.environ.update(env)
    database_ensure(env["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from members.partners.scopes import ALL_SCOPES
    from members.partners.services.api_keys import api_key_create, api_key_revoke

    call_command("migrate", verbosity=0)
    added = members_load(args.members)
    issued = api_key_create(name="api-bench", scopes=list(ALL_SCOPES))
    connection.close()  # gunicorn's workers hold their own connections during the runs
    auth_header = f"Authorization: Bearer {issued.raw_key}"
    auth = {"Authorization": f"Bearer {issued.raw_key}"}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api_url, bare_url = base + API_PATH.format(page_size=args.page_size), base + BARE_PATH.format(
        page_size=args.page_size)
    server = gunicorn_start(args, port, env)
    try:
        wait_ready(base, server)
        responses_check(api_url, bare_url, auth, args.page_size)
        workers = f"{args.workers} {args.worker_class}" + (f" x{args.threads} threads" if args.worker_class
                                                            == "gthread" else "")
        print(f"api bench: {args.members} members ({added} loaded now), page_size {args.page_size}, gunicorn "
              f"{workers} workers, wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}, "
              f"{args.rounds} rounds, nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
        wrk_run(api_url, args, args.warmup, [auth_header])  # imports, connections, caches: not measured
        wrk_run(bare_url, args, args.warmup, [])
        runs: dict[str, list[dict[str, float]]] = {"api": [], "bare": []}
        for round_number in range(1, args.rounds + 1):
            for name, url, headers in (("api", api_url, [auth_header]), ("bare", bare_url, [])):
                cpu_before = workers_cpu_seconds(server.pid)
                result = wrk_run(url, args, args.duration, headers)
                # wrk counts completed requests; the few in flight at the end add well under 1 % here.
                result["cpu_ms"] = (workers_cpu_seconds(server.pid) - cpu_before) * 1000 / result["requests"]
                runs[name].append(result)
                print(f"round {round_number} {name}: {result['requests']} requests, {result['rps']:.1f} req/s, "
                      f"p99 {result['p99_ms']:.1f} ms, {result['cpu_ms']:.1f} ms worker CPU per request")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        api_key_revoke(prefix=issued.api_key.prefix)

    def mean(name: str, field: str) -> float:
        return sum(run[field] for run in runs[name]) / len(runs[name])

    api_rps, bare_rps = mean("api", "rps"), mean("bare", "rps")
    api_cpu, bare_cpu = mean("api", "cpu_ms"), mean("bare", "cpu_ms")
    print(f"load average at the end {os.getloadavg()[0]:.1f}; bare p99 {mean('bare', 'p99_ms'):.1f} ms")
    print(f"worker CPU per request: api {api_cpu:.2f} ms, bare {bare_cpu:.2f} ms, "
          f"bare/api {bare_cpu / api_cpu:.3f} (other load on the machine hardly moves CPU time per request)")
    print("ratio = api req/s / bare req/s: the share of the bare view's throughput the API keeps after key "
          "auth, scopes, throttle, serializer and cursor pagination.")
    print(f"RESULT api_rps={api_rps:.1f} bare_rps={bare_rps:.1f} ratio={api_rps / bare_rps:.3f} "
          f"api_p99_ms={mean('api', 'p99_ms'):.1f}")


if __name__ == "__main__":
    main()
