"""Product-list import in the web UI: upload, preview every row and error, confirm or discard.

The uploaded file is kept server-side in the default storage under imports/ (MEDIA_ROOT, or
the bucket with S3_BUCKET, so any web server may show the preview and import it) with a
generated name, next to the preview it produced; the session lists the uploads of this login and the
preview records its owner. Confirming imports from the stored file through the same
service, which checks it again unless it has itself just checked these very bytes, so
nothing the browser sends back is trusted.

A form that comes back with an error (no roadmap chosen, a completed one) keeps the chosen
file the same way, under a token with its SHA-256 and no preview, named by a hidden field of
the re-rendered form: the user chooses the roadmap and need not choose the file again. Only
the login that chose it may use it; it goes once its check is done, or with the stale uploads.

The preselected roadmap is the supplier's only roadmap still taking offers, when it has one.
"""

import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from roadmap_portal.fields import ScopedFormMixin, ScopedModelChoiceField
from roadmap_portal.web import paginate

from .importing import (
    COLUMN_BY_FIELD,
    COLUMNS,
    FIELDS,
    ImportFailed,
    import_roadmaps,
    import_template,
    importing_supplier,
    offers_import,
    offers_import_check,
)
from .models import Offer
from .selectors import roadmaps_for_offers

SESSION_KEY = "offer_imports"
# The hidden field naming a file kept from a form that came back with an error.
KEPT_FIELD = "kept_file"
KEEP_SECONDS = 24 * 60 * 60
PREVIEW_PAGE_SIZE = 100


class OfferImportForm(ScopedFormMixin, forms.Form):
    roadmap = ScopedModelChoiceField(
        label=gettext_lazy("Roadmap"),
        selector=import_roadmaps,
        empty_label=gettext_lazy("Choose a roadmap"),
        error_messages={"required": gettext_lazy("Choose the roadmap the products are for.")},
    )
    file = forms.FileField(
        label=gettext_lazy("Product list (XLSX or CSV)"),
        error_messages={"required": gettext_lazy("Choose the file to upload.")},
    )

    def __init__(self, *args, roadmaps, kept=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrow("roadmap", lambda seen: roadmaps.filter(pk__in=seen.values("pk")))
        self.kept = kept
        if kept is not None:
            # The file kept from the last attempt stands in for a new one; a new one replaces it.
            self.fields["file"].required = False
        self.fields["roadmap"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": ".xlsx,.csv,text/csv"}
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload is None:
            return None
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB: split it into smaller files.")
                % {"size": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _supplier(request):
    return importing_supplier(request.user)


IMPORT_DIR = "imports"


def _paths(token: str) -> tuple[str, str]:
    """The storage names of an upload and of its preview."""
    return f"{IMPORT_DIR}/{token}.upload", f"{IMPORT_DIR}/{token}.json"


def _write(name: str, content: bytes) -> None:
    default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # the storage never renames a name it has just deleted
        default_storage.delete(saved)
        raise OSError(f"{name} could not be stored")


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _forget_stale_uploads() -> None:
    """Uploads nobody confirmed within a day are deleted."""
    cutoff = timezone.now() - timedelta(seconds=KEEP_SECONDS)
    try:
        _folders, names = default_storage.listdir(IMPORT_DIR)
    except FileNotFoundError:
        return
    for name in names:
        if not name.endswith((".upload", ".json")):
            continue
        try:
            if default_storage.get_modified_time(f"{IMPORT_DIR}/{name}") < cutoff:
                default_storage.delete(f"{IMPORT_DIR}/{name}")
        except FileNotFoundError:
            continue


def _preview_data(check, *, user, filename):
    def shown(value):
        return str(value) if isinstance(value, Decimal) else value

    return {
        "user": user.pk,
        "roadmap": check.roadmap.pk,
        "filename": filename,
        "kind": check.kind,
        "columns": {column.field: letter for letter, column in check.columns},
        "rows": [
            {
                "row": row.row,
                "values": {name: shown(row.values.get(name)) for name in FIELDS},
                "errors": {str(name): list(map(str, msgs)) for name, msgs in row.errors.items()},
            }
            for row in check.rows
        ],
        "errors": check.errors,
    }


def _store(request, *, content, filename, check):
    _forget_stale_uploads()
    token = str(uuid.uuid4())
    upload_path, preview_path = _paths(token)
    _write(upload_path, content)
    _write(
        preview_path,
        json.dumps(_preview_data(check, user=request.user, filename=filename)).encode(),
    )
    tokens = [
        t for t in request.session.get(SESSION_KEY, []) if default_storage.exists(_paths(t)[1])
    ]
    request.session[SESSION_KEY] = [*tokens, token]
    return token


def _load(request, token, *, kept=False):
    """The stored upload of this user and login, or 404: a previewed one, or with
    ``kept`` a file kept from a form that had an error (it has no preview yet)."""
    token = str(token)
    if token not in request.session.get(SESSION_KEY, []):
        raise Http404
    upload_path, preview_path = _paths(token)
    try:
        data = json.loads(_read(preview_path))
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    if data.get("user") != request.user.pk or not default_storage.exists(upload_path):
        raise Http404
    if bool(data.get("kept")) != kept:
        raise Http404
    return token, upload_path, preview_path, data


def _keep(request, *, content, filename):
    """Keep a chosen file while the form asks for something else (the roadmap), so the user
    need not choose it again: stored as an upload is, with its digest and no preview.
    Returns what the page shows of it."""
    _forget_stale_uploads()
    token = str(uuid.uuid4())
    upload_path, preview_path = _paths(token)
    _write(upload_path, content)
    data = {
        "user": request.user.pk,
        "kept": True,
        "filename": filename,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
    }
    _write(preview_path, json.dumps(data).encode())
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), token]
    return {"token": token, "filename": filename, "size": len(content)}


def _kept(request):
    """The file kept from this user's last attempt, named by the form's hidden field, or
    None (a token that is not this login's own is ignored like a missing one)."""
    token = request.POST.get(KEPT_FIELD) or ""
    try:
        token = str(uuid.UUID(token))
    except ValueError:
        return None
    try:
        _token, upload_path, _preview, data = _load(request, token, kept=True)
    except Http404:
        return None
    return {"token": token, "filename": data["filename"], "size": data["size"], "path": upload_path}


def _only_open_roadmap(supplier, roadmaps):
    """The roadmap to preselect: the one roadmap still taking offers, if only one does."""
    open_roadmaps = list(
        roadmaps.filter(pk__in=roadmaps_for_offers(supplier).values("pk")).values_list(
            "pk", flat=True
        )[:2]
    )
    return open_roadmaps[0] if len(open_roadmaps) == 1 else None


def _discard(request, token):
    for name in _paths(token):
        default_storage.delete(name)
    request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]


def _offer_list_url():
    try:
        return reverse("suppliers:offer-list")
    except NoReverseMatch:
        return "/suppliers/offers/"


def _columns_help():
    return [
        {
            "label": column.label,
            "field": column.field,
            "required": column.required,
            "help": column.help,
            "example": column.example,
        }
        for column in COLUMNS
    ]


@login_required
def offer_import(request):
    """Choose a roadmap and a file; a readable file goes on to its preview."""
    supplier = _supplier(request)
    roadmaps = import_roadmaps(request.user)
    posted = request.method == "POST"
    kept = _kept(request) if posted else None
    initial = {} if posted else {"roadmap": _only_open_roadmap(supplier, roadmaps)}
    form = OfferImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        roadmaps=roadmaps,
        kept=kept,
        initial=initial,
    )
    errors = []
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload is not None:
            content, filename = upload.read(), upload.name or ""
        else:
            content, filename = _read(kept["path"]), kept["filename"]
        check = offers_import_check(
            user=request.user,
            roadmap_id=form.cleaned_data["roadmap"].pk,
            content=content,
            filename=filename,
        )
        if kept is not None:
            _discard(request, kept["token"])
            kept = None
        if check.rows:
            token = _store(request, content=content, filename=filename, check=check)
            return redirect("suppliers:import-preview", token=token)
        errors = check.errors
        if errors and all(error["field"] == "roadmap" for error in errors):
            # The file was never read: keep it while another roadmap is chosen.
            kept = _keep(request, content=content, filename=filename)
    elif posted:
        upload = request.FILES.get("file")
        if upload is not None and "file" not in form.errors:
            if kept is not None:
                _discard(request, kept["token"])
            kept = _keep(request, content=upload.read(), filename=upload.name or "")
    form.kept = kept
    return render(
        request,
        "suppliers/import.html",
        {
            "form": form,
            "errors": errors,
            "supplier": supplier,
            "has_roadmaps": roadmaps.exists(),
            "kept": kept,
            "kept_field": KEPT_FIELD,
            "columns_help": _columns_help(),
            "max_rows": settings.IMPORT_MAX_ROWS,
            "offer_list_url": _offer_list_url(),
        },
    )


@login_required
@require_GET
def offer_import_preview(request, token):
    """Every row as it will be imported, every error where it is; nothing saved yet."""
    supplier = _supplier(request)
    token, _upload, _preview, data = _load(request, token)
    roadmap = import_roadmaps(request.user).filter(pk=data.get("roadmap")).first()
    if roadmap is None:
        raise Http404
    rows = data["rows"]
    rows_with_errors = sum(1 for row in rows if row["errors"])
    only_errors = request.GET.get("errors") == "1"
    shown = [row for row in rows if row["errors"]] if only_errors else rows
    page = paginate(request, shown, sizes=(PREVIEW_PAGE_SIZE,))
    columns = [
        {
            "field": name,
            "label": Offer._meta.get_field(name).verbose_name,
            "header": COLUMN_BY_FIELD[name].label,
            "letter": data["columns"].get(name),
        }
        for name in FIELDS
    ]
    table = [
        {
            "row": row["row"],
            "has_errors": bool(row["errors"]),
            "other_errors": row["errors"].get("None", []),
            "cells": [
                {
                    "field": column["field"],
                    "value": row["values"].get(column["field"]),
                    "errors": row["errors"].get(column["field"], []),
                }
                for column in columns
            ],
        }
        for row in page.object_list
    ]
    return render(
        request,
        "suppliers/import_preview.html",
        {
            "supplier": supplier,
            "roadmap": roadmap,
            "token": token,
            "filename": data["filename"],
            "kind": data["kind"],
            "count": len(rows),
            "errors": data["errors"],
            "rows_with_errors": rows_with_errors,
            "only_errors": only_errors,
            "columns": columns,
            "table": table,
            "page": page,
            "offer_list_url": _offer_list_url(),
        },
    )


@login_required
@require_POST
def offer_import_confirm(request, token):
    """Import every row of the stored file, or none; a file that fails shows its errors."""
    _supplier(request)
    token, upload_path, preview_path, data = _load(request, token)
    content = _read(upload_path)
    try:
        offers = offers_import(
            user=request.user,
            roadmap_id=data["roadmap"],
            content=content,
            filename=data["filename"],
        )
    except ImportFailed as failure:
        check = failure.check or offers_import_check(
            user=request.user,
            roadmap_id=data["roadmap"],
            content=content,
            filename=data["filename"],
        )
        if check.roadmap is None:
            _discard(request, token)
            messages.error(request, _("The roadmap is no longer available for your import."))
            return redirect("suppliers:import")
        _write(
            preview_path,
            json.dumps(_preview_data(check, user=request.user, filename=data["filename"])).encode(),
        )
        messages.error(
            request,
            _("Nothing was imported: the file has errors now. Correct them and upload it again."),
        )
        return redirect("suppliers:import-preview", token=token)
    _discard(request, token)
    messages.success(
        request,
        ngettext(
            "%(count)d offer imported as a draft.",
            "%(count)d offers imported as drafts.",
            len(offers),
        )
        % {"count": len(offers)},
    )
    # The drafts of that roadmap, ready to be checked and submitted together.
    return redirect(f"{_offer_list_url()}?status=draft&roadmap={data['roadmap']}")


@login_required
@require_POST
def offer_import_discard(request, token):
    """Forget an upload without importing it."""
    _supplier(request)
    token, *_rest = _load(request, token)
    _discard(request, token)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return redirect("suppliers:import")


@login_required
@require_GET
def offer_import_template(request):
    """The template to fill in, ``?format=xlsx`` (default) or ``csv``."""
    file_format = (request.GET.get("format") or "xlsx").lower()
    if file_format not in ("xlsx", "csv"):
        raise Http404
    content, content_type, filename = import_template(file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
