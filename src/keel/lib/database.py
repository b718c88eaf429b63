"""Facts about the database Keel runs on, for code that behaves differently on each engine."""

from django.db import connection


def postgres() -> bool:
    return connection.vendor == "postgresql"
