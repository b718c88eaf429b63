from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "keel.accounts"
    label = "accounts"
    verbose_name = "People and teams"
