import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from keel.lib.database import limit_statements
from keel.lib.watchdog import GRACE, watch_statements
from keel.lib.wsgi import BareHandler, by_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
# Machines' URLs skip the browser middleware (lib/wsgi.py): health probes and monitoring's inbound
# URLs all of it, the bearer-token API all but the security headers.
application = by_path(
    get_wsgi_application(),
    [
        (tuple(settings.KEEL_BARE_PATHS), BareHandler(settings.KEEL_BARE_MIDDLEWARE)),
        (tuple(settings.KEEL_API_PATHS), BareHandler(settings.KEEL_API_MIDDLEWARE)),
    ],
)
# A slow or frozen database fails a request in bounded time instead of holding a web thread: the
# server cancels a statement after KEEL_DB_STATEMENT_TIMEOUT, and the watchdog closes the
# connection of one a frozen server never answers (lib/watchdog.py).
limit_statements(settings.KEEL_DB_STATEMENT_TIMEOUT)
watch_statements(settings.KEEL_DB_STATEMENT_TIMEOUT + GRACE if settings.KEEL_DB_STATEMENT_TIMEOUT > 0 else 0)
