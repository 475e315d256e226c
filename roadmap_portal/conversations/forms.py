from django import forms
from django.utils.translation import gettext_lazy as _

from roadmap_portal.input_limits import FreeTextLimitMixin


class MultiplePdfInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePdfField(forms.FileField):
    """Several files in one field; each is checked by the service (PDF, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePdfInput(attrs={"accept": "application/pdf,.pdf", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class MessageForm(FreeTextLimitMixin, forms.Form):
    """A question, an answer or an internal note on an offer."""

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("Plain text; line breaks are kept."),
    )
    internal = forms.BooleanField(
        label=_("Internal note"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    attachments = MultiplePdfField(
        label=_("Attachments (PDF)"),
        required=False,
        allow_empty_file=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].widget.attrs["class"] = "form-control form-control-sm"
