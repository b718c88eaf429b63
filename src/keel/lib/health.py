"""``/healthz`` and ``/readyz``, for load balancers and orchestrators.

``/healthz`` says the process answers (200, no database). ``/readyz`` says whether this Keel can do
its work: the database answers within ``DATABASE_SECONDS``, then each check listed in
``config/readiness.py`` (named by ``KEEL_READY_CHECKS``: a fresh worker heartbeat, a short intake
backlog). 200 when every check passes, 503 otherwise; both answer
``{"status", "checks": {name: {"ok", "message", …}}}``. They are bare paths (no session, no
sign-in) and cost a few index lookups at most.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_safe

from keel.lib.database import is_database_down
from keel.lib.rows import ping
from keel.lib.watchdog import deadline

logger = logging.getLogger(__name__)

DATABASE_SECONDS = 2.0  # a probe's question to the database is cut after this long (when a watchdog runs)


@dataclass(frozen=True)
class Readiness:
    """One check's answer: whether it passes, why in words, and the figures behind it."""

    ok: bool
    message: str
    figures: Mapping[str, float | int | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "message": self.message, **self.figures}


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _run(_database)}
    listed: Mapping[str, Callable[[], Readiness]] = import_string(settings.KEEL_READY_CHECKS)
    for name, check in listed.items():
        checks[name] = _run(check) if checks["database"].ok else Readiness(False, "not checked: no database")
    ready = all(check.ok for check in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": {n: c.as_json() for n, c in checks.items()}}
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


def _database() -> Readiness:
    with deadline(DATABASE_SECONDS):
        ping()
    return Readiness(True, "the database answers")


def _run(check: Callable[[], Readiness]) -> Readiness:
    try:
        return check()
    except Exception as error:
        if not is_database_down(error):
            logger.exception("readiness check %s failed", getattr(check, "__name__", check))
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return Readiness(False, f"failed: {first_line}")
