from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cosodang.core"
    label = "core"
    verbose_name = "Lõi hệ thống"
