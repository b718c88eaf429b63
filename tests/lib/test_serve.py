"""``keel serve`` as `make run` starts it: a real server process, its worker, and a clean stop; over
HTTPS when given a certificate and its key."""

import http.client
import os
import shutil
import signal
import ssl
import subprocess
import urllib.error
from pathlib import Path

import pytest

from tests.live import (
    KEEL,
    Certificates,
    Served,
    free_port,
    get,
    make_certificates,
    refused,
    serve,
    stop,
    wait_for,
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A fresh SQLite Keel's var directory, migrated and with its static files collected (once)."""
    var = tmp_path_factory.mktemp("prepared")
    env = {**os.environ, "KEEL_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var}/keel.sqlite3"}
    for step in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([KEEL, *step], env=env, check=True, timeout=120)
    return var


def _fresh(prepared: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of an embedded Keel of its own (whatever database the suite runs on)."""
    var = shutil.copytree(prepared, tmp_path / "var")
    return {"KEEL_VAR_DIR": str(var), "DATABASE_URL": f"sqlite:///{var}/keel.sqlite3", "PORT": str(free_port())}


@pytest.fixture
def served(prepared, tmp_path):
    """The embedded profile served on a free port."""
    server = serve(_fresh(prepared, tmp_path), log=subprocess.PIPE)
    yield server
    stop(server.process)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def served_tls(prepared, tmp_path, certificates):
    """The same, given a certificate and its key on the command line."""
    tls = ["--tls-cert", str(certificates.cert), "--tls-key", str(certificates.key)]
    server = serve(_fresh(prepared, tmp_path), *tls, context=certificates.client_context(), log=subprocess.PIPE)
    yield server
    stop(server.process)


def _children(pid: int) -> list[int]:
    output = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=True).stdout
    return [int(child) for child in output.split()]


def _command_line(pid: int) -> bytes:
    """A process's command line; empty when it ended between ``ps`` and this read (a restart is racing)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _child(server: Served, word: bytes) -> int | None:
    """The pid of keel serve's child whose command line names ``word`` (b"granian", b"keel.cli")."""
    found = [pid for pid in _children(server.process.pid) if word in _command_line(pid)]
    return found[0] if len(found) == 1 else None


def _status(url: str) -> int:
    """The status a GET gets; 0 when nothing answers."""
    try:
        return get(url, timeout=2)[0]
    except OSError:
        return 0


def _stopped(server: Served) -> str:
    """Stop the server as an operator does (SIGTERM); what it printed."""
    server.process.send_signal(signal.SIGTERM)
    output, _ = server.process.communicate(timeout=30)
    return output.decode()


def test_serve_answers_pages_static_files_and_the_api_then_stops_cleanly(served):
    base = served.base_url

    page_status, page = get(f"{base}/sign-in/")
    css_status, _ = get(f"{base}/static/keel/keel.css")
    api_status, api_answer = get(f"{base}/api/v1/incidents")
    children = _children(served.process.pid)
    printed = _stopped(served)

    assert (page_status, css_status, api_status) == (200, 200, 401)
    assert b"Sign in" in page
    assert b"message" in api_answer
    assert len(children) == 2, "the web server and the task worker run as children of keel serve"
    assert served.process.returncode == 0
    assert all(not Path(f"/proc/{child}").exists() for child in children), "children stop with serve"
    assert f"Keel is serving on {base}/" in printed


def test_serve_speaks_https_with_the_given_certificate_and_only_https(served_tls, certificates):
    base = served_tls.base_url
    port = int(base.rsplit(":", 1)[1])
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=certificates.client_context(), timeout=5)
    connection.request("GET", "/sign-in/")
    answer = connection.getresponse()
    page = answer.read()
    peer = connection.sock.getpeercert()
    connection.close()
    untrusting = ssl.create_default_context()  # the system's CAs only: the test CA is not among them

    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        get(f"{base}/sign-in/", context=untrusting)
    with pytest.raises((OSError, http.client.HTTPException)):
        get(f"http://127.0.0.1:{port}/sign-in/")  # plain HTTP on the TLS port gets no HTTP answer
    printed = _stopped(served_tls)

    assert answer.status == 200
    assert b"Sign in" in page
    assert peer["subjectAltName"] == (("IP Address", "127.0.0.1"),)
    assert "Secure" in answer.headers["Set-Cookie"], "served over HTTPS, cookies are HTTPS-only"
    assert f"Keel is serving on {base}/" in printed
    assert base.startswith("https://")


def test_a_certificate_from_the_environment_without_its_key_is_refused_before_anything_starts(certificates, tmp_path):
    env = {"KEEL_VAR_DIR": str(tmp_path), "KEEL_TLS_CERT": str(certificates.cert), "PORT": str(free_port())}

    errors = refused(env, "serve")

    assert "--tls-cert needs --tls-key (KEEL_TLS_KEY) too" in errors


def test_a_key_that_does_not_belong_to_the_certificate_is_refused_before_anything_starts(certificates, tmp_path):
    wrong_key = certificates.ca.with_suffix(".key")  # the CA's
    tls = ["--tls-cert", str(certificates.cert), "--tls-key", str(wrong_key)]

    errors = refused({"KEEL_VAR_DIR": str(tmp_path), "PORT": str(free_port())}, "serve", *tls)

    assert f"Cannot serve HTTPS with {certificates.cert} and {wrong_key}" in errors
    assert "an unencrypted key that belongs to it must both be PEM files" in errors


def test_a_missing_certificate_file_is_named(certificates, tmp_path):
    tls = ["--tls-cert", str(tmp_path / "nowhere.pem"), "--tls-key", str(certificates.key)]

    errors = refused({"KEEL_VAR_DIR": str(tmp_path), "PORT": str(free_port())}, "serve", *tls)

    assert f"--tls-cert: {tmp_path}/nowhere.pem is not a file; give the path of the PEM file." in errors


def test_serve_runs_as_many_task_workers_as_asked(prepared, tmp_path):
    server = serve(_fresh(prepared, tmp_path), "--workers", "2", log=subprocess.PIPE)
    try:
        children = _children(server.process.pid)
        commands = [_command_line(child).split(b"\0") for child in children]
    finally:
        _stopped(server)

    workers = [command for command in commands if b"worker" in command]
    assert len(children) == 3, "the web server and two task workers"
    assert sorted(b"--helper" in command for command in workers) == [False, True], "the second one helps"


def test_a_negative_worker_count_is_refused_before_anything_starts(tmp_path):
    errors = refused({"KEEL_VAR_DIR": str(tmp_path), "PORT": str(free_port())}, "serve", "--workers", "-1")

    assert "--workers must be 0 or more (got -1)." in errors


def test_a_task_worker_killed_with_sigkill_is_started_again_while_the_web_server_keeps_answering(served):
    web, worker = _child(served, b"granian"), _child(served, b"keel.cli")
    wait_for("/readyz to say ready", lambda: get(f"{served.base_url}/readyz")[0] == 200, timeout=30)

    os.kill(worker, signal.SIGKILL)
    answers: list[int] = []

    def restarted() -> bool:
        answers.append(get(f"{served.base_url}/healthz")[0])
        return _child(served, b"keel.cli") not in (None, worker)

    new_worker = wait_for("a new task worker", restarted, timeout=20)
    ready = wait_for("/readyz again", lambda: get(f"{served.base_url}/readyz")[0] == 200, timeout=30)
    web_after = _child(served, b"granian")
    printed = _stopped(served)

    assert new_worker and ready
    assert set(answers) == {200}, "the web server answered all along"
    assert web_after == web, "the web server was never restarted"
    assert "worker exited with -9 after" in printed
    assert served.process.returncode == 0


def test_a_web_server_killed_with_sigkill_is_started_again_and_its_own_workers_are_ended(served):
    web = _child(served, b"granian")
    web_workers = _children(web)

    os.kill(web, signal.SIGKILL)
    new_web = wait_for("a new web server", lambda: _child(served, b"granian") not in (None, web), timeout=20)
    answer = wait_for("the new web server to answer", lambda: _status(f"{served.base_url}/healthz") == 200, timeout=30)
    leftovers = [pid for pid in web_workers if Path(f"/proc/{pid}").exists()]
    printed = _stopped(served)

    assert new_web and answer
    assert len(web_workers) >= 1
    assert leftovers == [], "the killed web server's worker processes were ended with it"
    assert "web server exited with -9 after" in printed
