from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "keel.notifications"
    label = "notifications"
    verbose_name = "Notifications: who was told what"
