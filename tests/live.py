"""Real processes for tests: free loopback ports, a throwaway certificate authority, `keel serve`
started and stopped, and bounded waits for what they do. Nothing here leaves 127.0.0.1."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.db import connection

KEEL = Path(sys.executable).with_name("keel")
# What a certificate for 127.0.0.1 needs to pass Python's strict verification and Go's.
SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    """A test CA and a server certificate it signed for 127.0.0.1 (PEM files)."""

    ca: Path
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """What a client that trusts only this CA uses (verification as strict as Python's default)."""
        return ssl.create_default_context(cafile=str(self.ca))


def make_certificates(directory: Path) -> Certificates:
    """Generate a CA and a server certificate for 127.0.0.1 with the openssl CLI, valid for a day."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = directory / "server.pem", directory / "server.key", directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(SERVER_EXTENSIONS)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    ca_usage = ["-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    run(["openssl", "req", "-x509", *ec, *ca_usage, "-keyout", ca_key, "-out", ca, "-subj", "/CN=Keel test CA"])
    run(["openssl", "req", *ec, "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1"])
    signing = ["-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "1", "-extfile", extensions]
    run(["openssl", "x509", "-req", "-in", request, *signing, "-out", cert])
    return Certificates(ca=ca, cert=cert, key=key)


def wait_for[T](what: str, check: Callable[[], T], *, timeout: float = 60, every: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; last saw {result!r}")
        time.sleep(every)


def get(url: str, *, context: ssl.SSLContext | None = None, timeout: float = 5) -> tuple[int, bytes]:
    """GET a URL; the status and body, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def answers(url: str, *, context: ssl.SSLContext | None = None) -> bool:
    try:
        get(url, context=context, timeout=2)
    except OSError:
        return False
    return True


def stop(process: subprocess.Popen[Any], *, grace: float = 15) -> None:
    """Terminate a process we started (SIGTERM, then SIGKILL after ``grace`` seconds)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


@dataclass(frozen=True)
class Served:
    """A running `keel serve`: where it answers, the environment it runs with, its process."""

    base_url: str
    env: Mapping[str, str]
    process: subprocess.Popen[bytes]
    context: ssl.SSLContext | None

    def keel(self, *args: str, timeout: float = 120) -> str:
        """Run another keel command against the same database and settings; its standard output."""
        done = subprocess.run(
            [KEEL, *args], env=dict(self.env), capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, f"keel {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout


def serve(
    env: Mapping[str, str],
    *args: str,
    context: ssl.SSLContext | None = None,
    log: IO[bytes] | int | None = None,
    timeout: float = 60,
) -> Served:
    """Start `keel serve` on ``env["PORT"]`` and wait until it answers (an API 401 is an answer);
    over HTTPS, trusting ``context``, when one is given."""
    scheme = "https" if context is not None else "http"
    process = subprocess.Popen([KEEL, "serve", *args], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"{scheme}://127.0.0.1:{env['PORT']}"
    try:
        wait_for(
            f"keel serve to answer on {base_url}",
            lambda: process.poll() is not None or answers(f"{base_url}/api/v1/incidents", context=context),
            timeout=timeout,
        )
        assert process.poll() is None, f"keel serve exited with {process.returncode}"
    except BaseException:
        stop(process)
        raise
    return Served(base_url=base_url, env={**os.environ, **env}, process=process, context=context)


def refused(env: Mapping[str, str], *args: str, timeout: float = 60) -> str:
    """Run a keel command that must fail at once; what it wrote to stderr. Should it start instead
    (a regression), its whole process group is killed at ``timeout`` and the call fails."""
    process = subprocess.Popen(
        [KEEL, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: children included in the kill below
    )
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(f"keel {' '.join(args)} kept running instead of refusing") from None
    assert process.returncode != 0, f"keel {' '.join(args)} succeeded instead of refusing"
    return errors


def suite_database_url() -> str:
    """The test database (created by pytest-django) as a URL, for a served Keel to use too."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def run(command: Sequence[str | Path], *, timeout: float = 30) -> str:
    """Run a helper program (amtool, openssl) to completion; its standard output."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout
