import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from keel.lib.wsgi import BareHandler, by_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
# Machines' URLs skip the browser middleware (lib/wsgi.py): monitoring's inbound URLs all of it,
# the bearer-token API all but the security headers.
application = by_path(
    get_wsgi_application(),
    [
        (tuple(settings.KEEL_BARE_PATHS), BareHandler(settings.KEEL_BARE_MIDDLEWARE)),
        (tuple(settings.KEEL_API_PATHS), BareHandler(settings.KEEL_API_MIDDLEWARE)),
    ],
)
