"""Benchmark: how long a background import takes to recover when its worker is SIGKILLed mid-import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/memberhub_bench .venv/bin/python bench/recovery_bench.py

Starts its own redis-server (--redis-port, append-only) and two workers (scripts/worker.sh, default
settings: lease 60 s, restore sweep every 10 s; memberhub/celery_broker.py). Then, in the same run:

1. baseline: a members CSV of --rows rows imported as a background job with nothing killed;
2. the same size of file (other members) as a job whose worker is SIGKILLed (whole process group)
   once the import's first batch has committed; the other worker takes the job over.

recovery_s is the time from the kill until the other worker has started the job again; finish_s
until the job has succeeded. rows_lost counts members of the file missing afterwards, duplicates
external ids present more than once; the ratio compares the killed job's total time with the
baseline's. Creates and migrates the database if needed and deletes what it made (BENCHR- rows).
The last line is `RESULT recovery_s=... rows_lost=... duplicates=... ...`.
"""

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BENCHR-"  # every member the bench makes starts with this, so cleanup cannot touch real data
HEADER = ["external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender", "status",
          "marketing_consent", "tier"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=150_000, help="members per file (3 batches of 50,000)")
    parser.add_argument("--redis-port", type=int, default=6395, help="port for the bench's own redis-server")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many seconds per wait")
    return parser.parse_args()


def database_ensure(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("recovery_bench: DATABASE_URL must point at Postgres.")
    params = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None,
              "password": config["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def members_write(path: Path, *, rows: int, tag: str) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([f"{PREFIX}{tag}{i:07d}", f"{tag.lower()}{i}@example.com", f"Member {i}",
                             "2024-03-01T09:30:00Z", "United Kingdom", "Leeds", 1950 + i % 50, "fmx"[i % 3],
                             "active", i % 2, ""])


def bench_data_delete() -> None:
    """Delete the bench's members in one statement (imported members have no other rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM members_member WHERE external_id LIKE %s", [PREFIX + "%"])


def wait_for(condition, *, what: str, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    sys.exit(f"recovery_bench: timed out waiting for {what}")


class Processes:
    def __init__(self, work: Path, redis_port: int):
        self.work = work
        self.redis_port = redis_port
        self.broker_url = f"redis://127.0.0.1:{redis_port}/0"
        self.started: list[subprocess.Popen] = []

    def redis_start(self) -> None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", self.redis_port)) == 0:
                sys.exit(f"recovery_bench: port {self.redis_port} is taken; pass --redis-port")
        (self.work / "redis").mkdir()
        self._spawn([shutil.which("redis-server") or "redis-server", "--port", str(self.redis_port), "--bind",
                     "127.0.0.1", "--dir", str(self.work / "redis"), "--save", "", "--appendonly", "yes"], "redis")

        def answers():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.redis_port)) == 0

        wait_for(answers, what="redis-server", timeout=30)

    def worker_start(self, name: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
        env.update(REDIS_URL=self.broker_url, CELERY_BROKER_URL=self.broker_url, CELERY_TASK_ALWAYS_EAGER="0",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        return self._spawn(["scripts/worker.sh", "-Q", "default", "-n", f"{name}@%h", "--concurrency", "1",
                            "--without-gossip", "--without-mingle"], name, env=env)

    def _spawn(self, argv: list[str], name: str, env=None) -> subprocess.Popen:
        log = (self.work / f"{name}.log").open("w")
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        process.log_path = self.work / f"{name}.log"
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("recovery_bench: set DATABASE_URL to a Postgres database")
    database_ensure(url)
    work = Path(tempfile.mkdtemp(prefix="recovery_bench_"))
    procs = Processes(work, args.redis_port)
    os.environ.update(REDIS_URL=procs.broker_url, CELERY_BROKER_URL=procs.broker_url, CELERY_TASK_ALWAYS_EAGER="0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memberhub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from members.imports.services.import_jobs import import_job_create
    from members.models import ImportJob, ImportJobStatus, Member

    call_command("migrate", verbosity=0)
    bench_data_delete()  # leftovers of an interrupted run
    try:
        procs.redis_start()
        workers = [procs.worker_start("rb1"), procs.worker_start("rb2")]
        started = time.monotonic()
        for worker in workers:
            wait_for(lambda w=worker: " ready." in w.log_path.read_text(), what="a worker to start",
                     timeout=args.timeout)
        print(f"recovery bench: {args.rows} members per file, two workers ready in {time.monotonic() - started:.0f} s, "
              f"visibility timeout {settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']} s, "
              f"restore sweep every {settings.CELERY_BROKER_TRANSPORT_OPTIONS['unacked_restore_interval']} s")

        def finished(job_id: int):
            job = ImportJob.objects.get(pk=job_id)
            return job if job.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED) else None

        # 1. Baseline: the same import with nothing killed.
        members_write(work / "a.csv", rows=args.rows, tag="A")
        t0 = time.monotonic()
        job_a = import_job_create(kind="members", path=work / "a.csv")
        done_a = wait_for(lambda: finished(job_a.pk), what="the baseline import", timeout=args.timeout)
        clean_s = time.monotonic() - t0
        if done_a.status != ImportJobStatus.SUCCEEDED:
            sys.exit(f"recovery_bench: baseline import failed: {done_a.error}")
        print(f"baseline: {args.rows} rows imported in {clean_s:.1f} s, nothing killed")

        # 2. The worker holding the job is SIGKILLed once the first batch has committed.
        members_write(work / "b.csv", rows=args.rows, tag="B")
        offsets = {w.pid: len(w.log_path.read_text()) for w in workers}
        t0 = time.monotonic()
        job_b = import_job_create(kind="members", path=work / "b.csv")
        b_members = Member.objects.filter(external_id__startswith=f"{PREFIX}B")
        wait_for(lambda: b_members.exists(), what="the first batch to commit", timeout=args.timeout, interval=0.05)
        rows_at_kill = b_members.count()
        holder = next(w for w in workers if "members.imports.run_job[" in w.log_path.read_text()[offsets[w.pid]:])
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        killed = time.monotonic()
        print(f"killed worker {holder.log_path.stem} at {killed - t0:.1f} s, {rows_at_kill} rows committed")
        wait_for(lambda: ImportJob.objects.get(pk=job_b.pk).attempts >= 2, what="another worker to take the job",
                 timeout=args.timeout)
        recovery_s = time.monotonic() - killed
        done_b = wait_for(lambda: finished(job_b.pk), what="the recovered import", timeout=args.timeout)
        finish_s = time.monotonic() - killed
        total_s = time.monotonic() - t0

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT external_id FROM members_member WHERE external_id LIKE %s "
                "GROUP BY external_id HAVING count(*) > 1) d", [f"{PREFIX}B%"])
            duplicates = cursor.fetchone()[0]
        present = b_members.count()
        rows_lost = args.rows - present
        print(f"taken over {recovery_s:.1f} s after the kill; succeeded {finish_s:.1f} s after it "
              f"(status {done_b.status}, attempts {done_b.attempts}, created {done_b.created}, "
              f"unchanged {done_b.unchanged}); {present} of {args.rows} members present")
        print(f"RESULT recovery_s={recovery_s:.1f} rows_lost={rows_lost} duplicates={duplicates} "
              f"finish_s={finish_s:.1f} killed_total_s={total_s:.1f} clean_s={clean_s:.1f} "
              f"ratio={total_s / clean_s:.2f}")
    finally:
        procs.stop_all()
        bench_data_delete()
        ImportJob.objects.filter(path__startswith=str(work)).delete()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
