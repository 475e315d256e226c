from django.contrib import admin

from roadmap_portal.append_only import AppendOnlyAdmin, AppendOnlyInline

from .models import Message, MessageAttachment


class MessageAttachmentInline(AppendOnlyInline):
    model = MessageAttachment
    fields = ["original_name", "size", "file", "created"]
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(AppendOnlyAdmin):
    list_display = ["id", "offer", "author", "author_role", "audience", "created"]
    list_filter = ["audience", "author_role"]
    search_fields = ["body", "offer__name", "author__username"]
    list_select_related = ["offer", "author"]
    raw_id_fields = ["offer", "author"]
    inlines = [MessageAttachmentInline]
