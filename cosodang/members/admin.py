"""Django admin for superusers (system administrators) only."""

from django.contrib import admin

from .models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Member changelist: the default a team would reach for (benchmarked against our page)."""

    list_display = ("full_name", "birth_date", "status", "org")
    list_select_related = ("org",)
    search_fields = ("full_name", "name_folded", "national_id", "card_number")
    list_filter = ("status",)
    raw_id_fields = ("org",)
    readonly_fields = ("name_folded", "sort_key", "org_path")

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        return request.user.is_superuser

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # writes go through services (audit), not the admin

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_superuser
