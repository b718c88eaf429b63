"""The console's inbox: the bell in the header with the unread count, and the list of messages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from keel.accounts.models import User
from keel.lib.errors import NotFound
from keel.lib.paging import capped_page, window
from keel.notifications import actions
from keel.notifications.queries import get_notification_for, inbox, unread_count

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The header's link with the unread count; the page polls it."""
    return render(request, "notifications/bell.html", {"unread": unread_count(_user(request))})


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    page = capped_page(inbox(user, unread=unread_only), offset=min(offset, 10_000), limit=PAGE_SIZE)
    context = {
        "nav": "notifications",
        "page": page,
        "window": window(page),
        "unread": unread_count(user),
        "unread_only": unread_only,
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the message read and go where it points."""
    user = _user(request)
    try:
        row = get_notification_for(user, pk)
    except NotFound as error:
        raise Http404(error.message) from error
    actions.mark_read(row, actor=user)
    return redirect(row.link or "notifications:list")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    read = actions.mark_all_read(actor=_user(request))
    messages.success(
        request, f"{read} message{'s' if read != 1 else ''} marked read." if read else "Nothing was unread."
    )
    return redirect("notifications:list")
