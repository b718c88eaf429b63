"""Calls made at the same moment: each in its own thread with its own database connection, released
together by a barrier (tests that use it need ``django_db(transaction=True)``)."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once[T](*calls: Callable[[], T]) -> list[T]:
    """Run the calls together; their results in order, or the first error any of them raised."""
    barrier = threading.Barrier(len(calls))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[index] for index in range(len(calls))]
