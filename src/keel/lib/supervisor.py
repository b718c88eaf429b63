"""``keel serve``'s supervisor: keep its children (the web server, the task workers) running.

A child that exits is started again, at once if it had run a while, after a growing pause (1, 2, 4,
8 s… up to 30) if it keeps exiting soon after it starts. After ``GIVE_UP_AFTER`` exits in a row each
within ``FAST`` seconds of starting, the supervisor gives up on that child and says so; giving up on
the web server ends ``keel serve`` with status 1 so that the process manager above it notices,
giving up on a worker does not (the web server keeps serving, and ``/readyz`` reports the missing
heartbeat). The supervisor itself stops only when told to (SIGINT or SIGTERM): it passes the
signal on to the children, waits for them, and kills those that do not stop in time.

Whatever a child leaves behind when it exits (the web server's own worker processes, when it was
killed) is ended by ``leftovers``, so that nothing orphaned keeps the port or the database.
"""

import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

FAST = 10.0  # an exit within this many seconds of starting counts towards giving up
GIVE_UP_AFTER = 5  # exits in a row, each fast
FIRST_PAUSE = 1.0
MOST_PAUSE = 30.0


class Process(Protocol):
    """What the supervisor needs of a child process (``subprocess.Popen`` has it)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass(frozen=True)
class Program:
    """A child to keep running. ``essential``: without it ``keel serve`` is useless (the web server)."""

    name: str
    command: Sequence[str]
    essential: bool = False


@dataclass
class _Child:
    program: Program
    process: Process | None = None
    started_at: float = 0.0
    fast_exits: int = 0
    start_at: float | None = 0.0  # when to start it next; None while it runs or once given up
    given_up: bool = False


class Supervisor:
    def __init__(
        self,
        programs: Sequence[Program],
        *,
        start: Callable[[Program], Process],
        clock: Callable[[], float],
        log: Callable[[str], None],
        leftovers: Callable[[Process], None] = lambda process: None,
    ) -> None:
        self.start, self.clock, self.log, self.leftovers = start, clock, log, leftovers
        self.children = [_Child(program) for program in programs]
        self.stopping: int | None = None  # the signal that asked us to stop

    def check(self) -> int | None:
        """Note the children that exited, start those that are due; the status ``keel serve`` must
        exit with when it cannot go on (the web server given up), else None."""
        now = self.clock()
        for child in self.children:
            if child.process is not None and (code := child.process.poll()) is not None:
                self.leftovers(child.process)
                self._exited(child, code, now)
            if child.start_at is not None and child.start_at <= now and self.stopping is None:
                child.process, child.started_at, child.start_at = self.start(child.program), now, None
        if any(child.given_up and child.program.essential for child in self.children):
            return 1
        return None

    def _exited(self, child: _Child, code: int, now: float) -> None:
        name, child.process = child.program.name, None
        ran = now - child.started_at
        child.fast_exits = child.fast_exits + 1 if ran < FAST else 0
        if child.fast_exits >= GIVE_UP_AFTER:
            child.given_up = True
            self.log(
                f"{name} exited with {code} {child.fast_exits} times in a row, each within {FAST:g} s of starting:"
                f" giving up on it{'; stopping' if child.program.essential else ''}"
            )
            return
        pause = min(MOST_PAUSE, FIRST_PAUSE * 2 ** (child.fast_exits - 1)) if child.fast_exits else 0.0
        child.start_at = now + pause
        self.log(f"{name} exited with {code} after {ran:.1f} s; starting it again in {pause:g} s")

    def request_stop(self, signum: int) -> None:
        """Called from a signal handler: start nothing more; ``stop`` does the rest."""
        if self.stopping is None:
            self.stopping = signum

    def running(self) -> list[Process]:
        return [child.process for child in self.children if child.process is not None]

    def stop(self, *, grace: float, sleep: Callable[[float], None]) -> None:
        """Pass the signal that asked us to stop (SIGTERM when none did) on to every running child,
        wait up to ``grace`` seconds for them to exit, then kill the rest."""
        signum = self.stopping = signal.SIGTERM if self.stopping is None else self.stopping
        for process in self.running():
            process.send_signal(signum)
        deadline = self.clock() + grace
        while any(process.poll() is None for process in self.running()) and self.clock() < deadline:
            sleep(0.1)
        for process in self.running():
            if process.poll() is None:
                self.log(f"process {process.pid} did not stop within {grace:g} s of {signal.strsignal(signum)}: killed")
                process.kill()
                process.wait(timeout=grace)
            self.leftovers(process)
