"""Background work on accounts: thin tasks, safe to run twice or at once."""

from django.tasks import task

from keel.accounts.actions import forget_expired_sessions, forget_old_sign_in_failures


@task()
def forget_old_sign_in_failures_task() -> int:
    return forget_old_sign_in_failures()


@task()
def forget_expired_sessions_task() -> None:
    forget_expired_sessions()
