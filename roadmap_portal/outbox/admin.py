from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: what waits to be handed to Celery, and what went wrong."""

    list_display = ["key", "task", "queue", "created", "dispatched_at", "attempts", "done_at"]
    list_filter = ["task", "queue"]
    search_fields = ["key"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
