from django.urls import path

from keel.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read/", views.read_all, name="read-all"),
    path("<int:pk>/open/", views.open_notification, name="open"),
]
