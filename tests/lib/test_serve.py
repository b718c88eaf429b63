"""``keel serve`` as `make run` starts it: a real server process, its worker, and a clean stop."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

KEEL = Path(sys.executable).with_name("keel")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def served(tmp_path):
    """A fresh SQLite Keel, migrated and with static files collected, served on a free port."""
    env = {**os.environ, "KEEL_VAR_DIR": str(tmp_path), "PORT": str(_free_port())}
    env.pop("DATABASE_URL", None)  # the embedded profile, whatever database the suite runs on
    for step in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([KEEL, *step], env=env, check=True, timeout=120)
    server = subprocess.Popen([KEEL, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(f"{base}/sign-in/")
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def _children(pid: int) -> list[int]:
    output = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=True).stdout
    return [int(child) for child in output.split()]


def test_serve_answers_pages_static_files_and_the_api_then_stops_cleanly(served):
    base, server = served

    page_status, page = _get(f"{base}/sign-in/")
    css_status, _ = _get(f"{base}/static/keel/keel.css")
    api_status, api_answer = _get(f"{base}/api/v1/incidents")
    children = _children(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    assert (page_status, css_status, api_status) == (200, 200, 401)
    assert b"Sign in" in page
    assert b"message" in api_answer
    assert len(children) == 2, "the web server and the task worker run as children of keel serve"
    assert server.returncode == 0
    assert all(not Path(f"/proc/{child}").exists() for child in children), "children stop with serve"
