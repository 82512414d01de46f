from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cosodang.accounts"
    label = "accounts"
    verbose_name = "Tài khoản"
