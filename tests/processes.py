"""Real processes for the fault, worker and operations tests: a Redis server of the test's own
and Celery workers on it.

Each test starts its own Redis on one of the ports reserved for these tests (FAULT_REDIS_PORTS),
so it may kill and restart it without touching the Redis that other tests or services use.
Workers run scripts/worker.sh exactly as in production, in their own session so that a test can
SIGKILL a whole worker (main process and pool children) at once.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# Ports for the Redis servers these tests start (override: FAULT_REDIS_PORTS=6391,6392).
FAULT_REDIS_PORTS = tuple(int(p) for p in os.environ.get("FAULT_REDIS_PORTS", "6391,6392,6393,6394,6395").split(","))
# A worker imports Django, torch and every task module; on a loaded 2-core machine that takes a while.
WORKER_START_TIMEOUT = 150


def wait_for(condition, *, what: str, timeout: float, logs=lambda: "", interval: float = 0.1):
    """Poll `condition` until it returns something true (returned) or fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}.\n{logs()}")


def free_fault_port() -> int:
    for port in FAULT_REDIS_PORTS:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip(f"no free port among {FAULT_REDIS_PORTS} for a test Redis")


class RedisServer:
    """A redis-server on `port` whose data survives SIGKILL (append-only file, fsync on every write)."""

    def __init__(self, port: int, data_dir: Path):
        self.port = port
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        log = (self.data_dir / "redis.log").open("a")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

        def answers():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(answers, what=f"redis-server on port {self.port}", timeout=20)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, clients see their connections reset."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env(broker_url: str, **extra: str) -> dict[str, str]:
    """What a worker needs to see the test's database and the given Redis, and nothing of the rest."""
    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="memberhub.settings",
        DATABASE_URL=database_url,
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=broker_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **extra,
    )
    return env


class Workers:
    """Worker processes, each in its own session, with their logs in `log_dir`."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir = log_dir
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, queue: str = "default") -> subprocess.Popen:
        name = f"w{len(self.processes) + 1}"
        log = (self.log_dir / f"{name}.log").open("w")
        process = subprocess.Popen(
            ["scripts/worker.sh", "-Q", queue, "-n", f"{name}@%h", "--concurrency", "1", "--pool", "prefork",
             "--without-gossip", "--without-mingle", *args],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        process.log_path = self.log_dir / f"{name}.log"
        self.processes.append(process)
        return process

    def wait_ready(self, process: subprocess.Popen, *, timeout: float = WORKER_START_TIMEOUT) -> None:
        def ready():
            if process.poll() is not None:
                pytest.fail(f"worker exited with {process.returncode} while starting.\n{self.logs()}")
            return " ready." in process.log_path.read_text()

        wait_for(ready, what="a worker to start", timeout=timeout, logs=self.logs, interval=0.25)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children: no warm shutdown, no chance to requeue or ack."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.log_dir.glob("w*.log")))
