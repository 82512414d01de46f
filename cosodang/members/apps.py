from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "cosodang.members"
    label = "members"
    verbose_name = "Đảng viên"
