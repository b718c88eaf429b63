import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from keel.lib.wsgi import BareHandler, by_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
# Monitoring tools' inbound URLs skip the browser middleware (lib/wsgi.py).
application = by_path(get_wsgi_application(), BareHandler(), tuple(settings.KEEL_BARE_PATHS))
