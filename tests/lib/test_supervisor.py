"""``keel serve``'s supervisor (lib/supervisor.py) with fake children and a fake clock: what it
starts, when it starts a child again, when it gives up, and how it stops."""

import signal

import pytest

from keel.lib.supervisor import FAST, Program, Supervisor

WEB = Program("web server", ["granian"], essential=True)
WORKER = Program("worker", ["keel", "worker"])


class FakeProcess:
    """A child that runs until the test ends it, or that ignores signals when ``stubborn``."""

    pids = iter(range(100, 10_000))

    def __init__(self, program: Program, *, stubborn: bool = False) -> None:
        self.program, self.stubborn = program, stubborn
        self.pid = next(self.pids)
        self.returncode: int | None = None
        self.signals: list[int] = []
        self.killed = False

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if not self.stubborn:
            self.returncode = 0

    def kill(self) -> None:
        self.killed, self.returncode = True, -9

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode

    def exit(self, code: int) -> None:
        self.returncode = code


class Harness:
    """A supervisor of fake children on a clock the test moves."""

    def __init__(self, *programs: Program, stubborn: bool = False) -> None:
        self.now = 0.0
        self.started: list[FakeProcess] = []
        self.logged: list[str] = []
        self.cleaned: list[int] = []
        self.stubborn = stubborn
        self.supervisor = Supervisor(
            programs,
            start=self._start,
            clock=lambda: self.now,
            log=self.logged.append,
            leftovers=lambda process: self.cleaned.append(process.pid),
        )

    def _start(self, program: Program) -> FakeProcess:
        process = FakeProcess(program, stubborn=self.stubborn)
        self.started.append(process)
        return process

    def running(self, name: str) -> FakeProcess:
        (process,) = [p for p in self.started if p.program.name == name and p.returncode is None]
        return process

    def starts_of(self, name: str) -> int:
        return sum(process.program.name == name for process in self.started)

    def at(self, moment: float) -> int | None:
        self.now = moment
        return self.supervisor.check()

    def crash(self, name: str, *, after: float = 1.0, code: int = 1) -> int | None:
        """The running child exits ``after`` seconds from now; what the next check says."""
        self.now += after
        self.running(name).exit(code)
        return self.supervisor.check()

    def wait_for_start(self, name: str) -> float:
        """Move the clock on until the child is started again; how long that took."""
        before, since = self.starts_of(name), self.now
        while self.starts_of(name) == before and self.now - since < 60:
            self.at(self.now + 0.25)
        return self.now - since


def test_every_child_starts_at_the_first_check():
    harness = Harness(WEB, WORKER)

    status = harness.at(0)

    assert status is None
    assert [process.program.name for process in harness.started] == ["web server", "worker"]


def test_a_child_killed_after_running_a_while_is_started_again_at_once_and_the_others_keep_running():
    harness = Harness(WEB, WORKER)
    harness.at(0)
    web = harness.running("web server")

    harness.running("worker").exit(-9)
    status = harness.at(60)

    assert status is None
    assert harness.starts_of("worker") == 2
    assert harness.running("web server") is web, "a worker's death never touches the web server"
    assert web.signals == []
    assert harness.logged == ["worker exited with -9 after 60.0 s; starting it again in 0 s"]
    assert harness.cleaned == [harness.started[1].pid], "what the dead child left behind is ended"


def test_a_child_that_keeps_exiting_at_once_is_started_again_after_1_2_4_and_8_seconds_then_given_up():
    harness = Harness(WEB, WORKER)
    harness.at(0)

    pauses = [(harness.crash("worker"), harness.wait_for_start("worker"))[1] for _ in range(4)]
    status = harness.crash("worker")
    much_later = harness.at(harness.now + 600)

    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert harness.starts_of("worker") == 5
    assert (status, much_later) == (None, None), "giving up on a worker does not stop keel serve"
    assert harness.running("web server").signals == []
    assert harness.logged[-1] == "worker exited with 1 5 times in a row, each within 10 s of starting: giving up on it"


def test_a_child_that_ran_longer_than_the_fast_limit_starts_its_count_again():
    harness = Harness(WEB, WORKER)
    harness.at(0)
    for _ in range(3):
        harness.crash("worker")
        harness.wait_for_start("worker")

    harness.crash("worker", after=FAST + 1)

    assert harness.logged[-1] == "worker exited with 1 after 11.0 s; starting it again in 0 s"
    assert harness.starts_of("worker") == 5, "started again by the same check that saw it exit"


def test_giving_up_on_the_web_server_stops_keel_serve_with_status_1():
    harness = Harness(WEB, WORKER)
    harness.at(0)

    statuses = [(harness.crash("web server", code=3), harness.wait_for_start("web server"))[0] for _ in range(4)]
    statuses.append(harness.crash("web server", code=3))

    assert statuses == [None, None, None, None, 1]
    assert harness.logged[-1] == (
        "web server exited with 3 5 times in a row, each within 10 s of starting: giving up on it; stopping"
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_is_passed_on_to_every_child_and_nothing_starts_again(signum):
    harness = Harness(WEB, WORKER)
    harness.at(0)
    harness.running("worker").exit(-9)

    harness.supervisor.request_stop(signum)
    harness.at(30)
    harness.supervisor.stop(grace=15, sleep=lambda seconds: None)

    assert harness.starts_of("worker") == 1, "the dead worker is not started again once stopping"
    assert harness.started[0].signals == [signum]
    assert all(process.returncode is not None for process in harness.started)
    assert not harness.started[0].killed


def test_children_that_ignore_the_signal_are_killed_after_the_grace_period():
    harness = Harness(WEB, WORKER, stubborn=True)
    harness.at(0)

    def sleep(seconds: float) -> None:
        harness.now += seconds

    harness.supervisor.request_stop(signal.SIGTERM)
    harness.supervisor.stop(grace=15, sleep=sleep)

    assert [process.killed for process in harness.started] == [True, True]
    assert harness.now == pytest.approx(15, abs=0.2)
    assert harness.logged[0].startswith(f"process {harness.started[0].pid} did not stop within 15 s of ")
    assert sorted(harness.cleaned) == sorted(process.pid for process in harness.started)
