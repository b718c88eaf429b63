from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in

from keel.lib.middleware import session_started


class LibConfig(AppConfig):
    name = "keel.lib"
    label = "keel_lib"
    verbose_name = "Keel framework glue"

    def ready(self) -> None:
        # A framework hook: the session's idle timer starts at sign-in (lib/middleware.py).
        user_logged_in.connect(session_started, dispatch_uid="keel.session_started")
