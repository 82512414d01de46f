from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "cosodang.orgs"
    label = "orgs"
    verbose_name = "Tổ chức đảng"
