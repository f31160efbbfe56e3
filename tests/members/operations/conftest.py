"""A throwaway Redis server the test starts and stops (ports 6396-6399 are this folder's)."""

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import OPERATIONS_GROUP
from tests.factories import UserFactory

REDIS_PORT = 6396


@dataclass
class RedisServer:
    port: int
    dir: str
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(port=REDIS_PORT, dir=str(tmp_path))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def operations_user(db):
    user = UserFactory(username="opsperson")
    user.groups.add(Group.objects.get(name=OPERATIONS_GROUP))
    return user
