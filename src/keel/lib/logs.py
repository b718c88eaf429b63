"""Secrets out of the logs. Monitoring tools post to URLs that carry their source's secret in the
path (``/integrations/alertmanager/<secret>``), and every refused request is logged with its full
path (Django's ``django.request`` warnings, granian's access log); API clients send tokens in
``Authorization`` headers. ``RedactSecrets`` is installed on every handler of ``LOGGING``
(config/settings.py), so whatever logger a line comes from, it is written with the secrets replaced.
"""

import logging
import re
from collections.abc import Sequence
from functools import cache
from typing import Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

REDACTED: Final = "[redacted]"
# A source's secret is 32 URL-safe characters; the words Keel routes after an inbound prefix
# ("api", "v2") are short. A path segment this long right after the prefix is taken for a secret.
_SECRET_SEGMENT: Final = r"[A-Za-z0-9_\-~.%]{12,}"
# Before the settings are read, every inbound URL is under this.
_INBOUND_FALLBACK: Final = ("/integrations",)
_ALWAYS: Final = (
    # Authorization: Bearer keel_…, Basic …, or any scheme, as a header line or a repr of headers.
    re.compile(r"(?P<keep>\bAuthorization['\"]?\s*[:=]\s*['\"]?(?:[A-Za-z]+ )?)(?P<secret>[^\s'\",}]+)", re.IGNORECASE),
    re.compile(r"(?P<keep>\bBearer\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})"),
    # Keel's API tokens and PagerDuty routing keys, wherever they turn up.
    re.compile(r"(?P<keep>\bkeel_)(?P<secret>[A-Za-z0-9_\-]{16,})"),
    re.compile(r"(?P<keep>routing_key['\"]?\s*[:=]\s*['\"]?)(?P<secret>[A-Za-z0-9_\-]{8,})"),
)


def redact(text: str, *, inbound_paths: Sequence[str]) -> str:
    """The text with every secret it carries replaced by ``[redacted]``."""
    for pattern in (*_ALWAYS, _inbound_pattern(tuple(inbound_paths))):
        text = pattern.sub(lambda found: found.group("keep") + REDACTED, text)
    return text


@cache
def _inbound_pattern(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    starts = "|".join(re.escape(prefix.rstrip("/")) for prefix in prefixes)
    return re.compile(rf"(?P<keep>(?:{starts})/)(?P<secret>{_SECRET_SEGMENT})")


class RedactSecrets(logging.Filter):
    """Rewrites each record's message (and its traceback) with the secrets redacted; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        paths = _inbound_paths()
        try:
            message = record.getMessage()
        except Exception:  # a bad format is the handler's to report, not a reason to fail the caller
            return True
        cleaned = redact(message, inbound_paths=paths)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, inbound_paths=paths)
        return True


def _inbound_paths() -> Sequence[str]:
    try:
        return tuple(settings.KEEL_BARE_PATHS)
    except ImproperlyConfigured:
        return _INBOUND_FALLBACK
