"""Pages of suppliers and their product offers. Thin: selectors read, services write."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadmap_portal.choices import Role
from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed
from roadmap_portal.export_jobs.views import export_response, wants_export
from roadmap_portal.logins import client_address
from roadmap_portal.scope import (
    has_no_role,
    has_role,
    is_supplier,
    may,
    reads_internal_records,
    scope_of,
)
from roadmap_portal.selectors import demands_for_region, demands_visible_to, roadmaps_visible_to
from roadmap_portal.storage import stored_file_response
from roadmap_portal.web import (
    apply_service_errors,
    back_to,
    form_status,
    is_refused,
    paginate,
    refusal_kept,
    role_required,
    safe_next,
    service_errors_on,
)

from . import pipeline, tables
from .choices import OfferStatus, VerificationStatus
from .filtersets import OfferFilterSet
from .forms import (
    AttachmentForm,
    OfferForm,
    OfferStepForm,
    RegistrationForm,
    RegistrationPasswordForm,
    SupplierVerifyForm,
)
from .models import Supplier
from .selectors import (
    attachments_visible_to,
    history_is_internal_to,
    offer_history_visible_to,
    offers_visible_to,
    roadmaps_for_offers,
    screening_queue,
    suppliers_visible_to,
)
from .services import (
    RegistrationThrottled,
    address_has_account,
    allowed_transitions,
    offer_attachment_add,
    offer_attachment_delete,
    offer_create,
    offer_supplier,
    offer_transition,
    offer_update,
    supplier_signup_confirm,
    supplier_signup_pending,
    supplier_signup_request,
    supplier_verify,
)


def _error_text(exc):
    """A service's error as one line for a message."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
        return " ".join(exc.messages)
    return str(getattr(exc, "message", exc))


# --- registration ----------------------------------------------------------------------


def register(request):
    """Self-registration, step one: the person and the organisation. The answer is the same
    "check your e-mail" page whether the address has an account or not; the e-mail says
    which (a link to go on, or a note that the address has an account)."""
    if request.user.is_authenticated and not has_no_role(request.user):
        messages.info(request, _("You are signed in already."))
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            supplier_signup_request(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                supplier_fields=form.supplier_fields(),
                client=client_address(request),
            )
        except RegistrationThrottled:
            form.add_error(
                None, _("Too many registrations from your network this hour: try again later.")
            )
            return render(request, "suppliers/register.html", {"form": form}, status=429)
        except ValidationError as exc:
            apply_service_errors(form, exc, RegistrationForm.SERVICE_FIELD)
        else:
            return render(request, "suppliers/register_sent.html", {"email": data["email"]})
    return render(request, "suppliers/register.html", {"form": form})


def _invalid_link(request, errors=()):
    context = {"errors": errors, "hours": settings.REGISTRATION_LINK_HOURS}
    return render(request, "suppliers/register_link_invalid.html", context, status=400)


def register_confirm(request, token):
    """Self-registration, step two, from the e-mailed link: choose a password; the account and
    the organisation are created and the person is signed in. The link works once."""
    try:
        pending = supplier_signup_pending(token)
    except signing.BadSignature:
        return _invalid_link(request)
    if address_has_account(pending["email"]):
        messages.info(request, _("This address has an account: sign in."))
        return redirect("login")
    form = RegistrationPasswordForm(request.POST or None, person=pending)
    if request.method == "POST" and form.is_valid():
        try:
            user, supplier = supplier_signup_confirm(
                token=token, password=form.cleaned_data["password1"]
            )
        except signing.BadSignature:
            return _invalid_link(request)
        except ValidationError as exc:
            if "username" in getattr(exc, "error_dict", {}):  # the link was used a moment ago
                messages.info(request, _("This address has an account: sign in."))
                return redirect("login")
            return _invalid_link(request, exc.messages)  # e.g. the INN registered meanwhile
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _(
                "%(supplier)s is registered. Region staff will verify it; meanwhile you "
                "can prepare your product list."
            )
            % {"supplier": supplier.name},
        )
        return redirect("suppliers:offer-list")
    return render(request, "suppliers/register_confirm.html", {"form": form, "pending": pending})


# --- suppliers -------------------------------------------------------------------------


@login_required
def supplier_list(request):
    filterset, suppliers = tables.suppliers_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.SUPPLIERS, suppliers)
    page = paginate(request, suppliers)
    return render(
        request,
        "suppliers/supplier_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": page.query,
            "verification_choices": VerificationStatus.choices,
            "can_verify": has_role(request.user, Role.REGION_STAFF),
        },
    )


@login_required
def supplier_detail(request, pk):
    supplier = get_object_or_404(suppliers_visible_to(request.user), pk=pk)
    offers = (
        offers_visible_to(request.user)
        .filter(supplier=supplier)
        .prefetch_related(None)
        .order_by("-id")
    )
    return render(
        request,
        "suppliers/supplier_detail.html",
        {
            "supplier": supplier,
            "offers": offers[:50],
            "offer_count": offers.count(),
            "verify_form": SupplierVerifyForm(),
            "show_staff": reads_internal_records(request.user),
            "can_verify": has_role(request.user, Role.REGION_STAFF),
            "members": supplier.members.select_related("user").order_by("user__username")
            if has_role(request.user, Role.REGION_STAFF, Role.SUPPLIER)
            else [],
        },
    )


@login_required
@require_POST
def supplier_verify_view(request, pk):
    get_object_or_404(suppliers_visible_to(request.user), pk=pk)
    form = SupplierVerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to verify or reject the supplier."))
        return redirect("suppliers:supplier-detail", pk=pk)
    try:
        supplier = supplier_verify(
            supplier_id=pk,
            user=request.user,
            verified=form.cleaned_data["decision"] == "verify",
            comment=form.cleaned_data["comment"],
        )
    except (ValidationError, RoleNotAllowed, TransitionNotAllowed) as exc:
        messages.error(request, _error_text(exc))
    else:
        if supplier.is_verified:
            messages.success(request, _("%(supplier)s is verified.") % {"supplier": supplier})
        else:
            messages.warning(request, _("%(supplier)s is rejected.") % {"supplier": supplier})
    return redirect(safe_next(request, reverse("suppliers:supplier-detail", args=[pk])))


# --- offers ----------------------------------------------------------------------------


@login_required
def offer_list(request):
    filterset, offers = tables.offers_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.OFFERS, offers)
    page = paginate(request, offers)
    return render(
        request,
        "suppliers/offer_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": page.query,
            "status_choices": OfferStatus.choices,
            "roadmaps": _filter_roadmaps(request.user),
            "selected_status": request.GET.getlist("status"),
            "can_create": is_supplier(request.user),
            "supplier": _own_supplier(request.user),
        },
    )


def _filter_roadmaps(user):
    return roadmaps_visible_to(user).prefetch_related(None).order_by("-start_year", "id")


def _own_supplier(user):
    scope = scope_of(user)
    if not scope.is_supplier_member:
        return None
    return Supplier.objects.select_related("region").filter(pk=scope.supplier_id).first()


def _offer_form(request, supplier, offer=None):
    return OfferForm(
        request.POST or None,
        instance=offer,
        user=request.user,
        roadmaps=roadmaps_for_offers(supplier, current=offer.roadmap if offer else None),
        demands=demands_for_region(request.user, supplier.region_id),
    )


@login_required
def offer_create_view(request):
    # The page is a member's: an administrator names the supplier, through the API.
    try:
        supplier = offer_supplier(user=request.user)
    except (RoleNotAllowed, ValidationError) as exc:
        raise PermissionDenied(_("Only a supplier's members add offers.")) from exc
    form = _offer_form(request, supplier)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        roadmap = fields.pop("roadmap")
        try:
            offer = offer_create(
                user=request.user, supplier_id=supplier.pk, roadmap=roadmap, **fields
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The draft “%(offer)s” is saved. Attach a datasheet and submit it.")
                % {"offer": offer.name},
            )
            return redirect("suppliers:offer-detail", pk=offer.pk)
    return render(
        request,
        "suppliers/offer_form.html",
        {"form": form, "supplier": supplier, "offer": None},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@back_to("suppliers:offer-detail")
def offer_update_view(request, pk):
    offer = get_object_or_404(offers_visible_to(request.user), pk=pk)
    # The edit page is the author's: another role in scope is refused (403).
    if not may(request.user, "offer.update", offer):
        raise PermissionDenied(_("Only the supplier's members change its offers."))
    supplier = offer.supplier
    if not offer.is_editable and request.method != "POST":
        messages.error(
            request,
            _("Only a draft can be edited; this offer is %(status)s.")
            % {"status": offer.get_status_display()},
        )
        return redirect("suppliers:offer-detail", pk=pk)
    form = _offer_form(request, supplier, offer)
    # A draft submitted meanwhile refuses the edit (the service says so): the form again,
    # with what was typed.
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            offer_update(offer=offer, user=request.user, **form.service_fields())
            messages.success(request, _("The draft is saved."))
            return redirect("suppliers:offer-detail", pk=pk)
        if is_refused(form):
            offer.refresh_from_db(fields=["status", "status_changed"])
    return render(
        request,
        "suppliers/offer_form.html",
        {"form": form, "supplier": supplier, "offer": offer},
        status=form_status(form),
    )


@login_required
def offer_detail(request, pk):
    return _offer_page(request, get_object_or_404(offers_visible_to(request.user), pk=pk))


def _offer_page(request, offer, *, step=None, step_form=None):
    """The offer's page; ``step`` and ``step_form``: a step the state refused with what the
    user typed, shown again in its form (409)."""
    # The demand it answers, when the reader may see that demand (it may be another group's).
    demand = (
        demands_visible_to(request.user).filter(pk=offer.demand_id).first()
        if offer.demand_id
        else None
    )
    is_author = may(request.user, "offer.update", offer)
    return render(
        request,
        "suppliers/offer_detail.html",
        {
            "offer": offer,
            "transitions": allowed_transitions(offer=offer, user=request.user),
            "demand": demand,
            "history": offer_history_visible_to(request.user, offer),
            "history_internal": history_is_internal_to(request.user),
            "attachments": offer.attachments.select_related("uploaded_by").order_by("id"),
            "can_edit": is_author and offer.is_editable,
            "attachment_form": AttachmentForm(),
            "max_upload_mb": _max_upload_mb(),
            "waiting_for": pipeline.waiting_role(offer.status),
            "refused_step": pipeline.declared(step) if step_form is not None else None,
            "step_form": step_form,
        },
        status=form_status(step_form),
    )


def _max_upload_mb():
    return round(settings.MAX_UPLOAD_BYTES / 1_048_576, 1)


@login_required
@require_POST
def offer_transition_view(request, pk):
    """POST ``action`` and ``comment`` (and the stage's ``data`` as JSON where it has one)."""
    get_object_or_404(offers_visible_to(request.user), pk=pk)
    action = request.POST.get("action", "")
    data = _transition_data(request, action)
    # A step with a typed comment that the state refuses: the offer's page with the comment
    # kept in the step's form (409); a button's refusal: its message, as other errors.
    form = OfferStepForm(request.POST)
    form.is_valid()
    try:
        with refusal_kept(form):
            offer, _history = offer_transition(
                offer_id=pk,
                user=request.user,
                action=action,
                comment=request.POST.get("comment", ""),
                data=data,
            )
    except (ValidationError, TransitionNotAllowed, RoleNotAllowed) as exc:
        messages.error(request, _error_text(exc))
        return redirect(safe_next(request, reverse("suppliers:offer-detail", args=[pk])))
    if is_refused(form):
        offer = offers_visible_to(request.user).filter(pk=pk).first()
        if offer is not None:
            return _offer_page(request, offer, step=action, step_form=form)
        # Moved out of the user's sight meanwhile: the message where the step came from.
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect(safe_next(request, reverse("home")))
    messages.success(
        request,
        _("“%(offer)s” is now %(status)s.")
        % {"offer": offer.name, "status": offer.get_status_display()},
    )
    still_visible = offers_visible_to(request.user).filter(pk=pk).exists()
    default = (
        reverse("suppliers:offer-detail", args=[pk])
        if still_visible
        else reverse("suppliers:screening")
        if has_role(request.user, Role.REGION_STAFF)
        else reverse("home")
    )
    return redirect(safe_next(request, default))


def _transition_data(request, action):
    """The stage record from the form: a JSON ``data`` field, or the fields of the stage's
    input (validated by the service with that input, as the API's ``data`` is)."""
    raw = request.POST.get("data", "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):  # not JSON, or nested past any sense
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    names = pipeline.input_fields(action)
    return {name: request.POST[name] for name in names if request.POST.get(name, "") != ""}


@login_required
@require_POST
def attachment_upload(request, pk):
    get_object_or_404(offers_visible_to(request.user), pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a PDF file to upload."))
        return redirect("suppliers:offer-detail", pk=pk)
    try:
        attachment = offer_attachment_add(
            offer_id=pk, user=request.user, upload=form.cleaned_data["file"]
        )
    except (ValidationError, TransitionNotAllowed, RoleNotAllowed) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
    return redirect("suppliers:offer-detail", pk=pk)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=attachment_pk, offer=pk)
    try:
        offer_attachment_delete(attachment_id=attachment.pk, user=request.user)
    except (TransitionNotAllowed, RoleNotAllowed) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": attachment.original_name})
    return redirect("suppliers:offer-detail", pk=pk)


@login_required
def attachment_download(request, pk, attachment_pk):
    """Streams a stored file to those who may see its offer; anyone else gets 404."""
    attachment = get_object_or_404(attachments_visible_to(request.user), pk=attachment_pk, offer=pk)
    return attachment_response(attachment)


def attachment_response(attachment):
    return stored_file_response(attachment.file, filename=attachment.original_name)


# --- screening -------------------------------------------------------------------------


@role_required(Role.REGION_STAFF)
def screening(request):
    """Region staff's queue: submitted offers of the region, to forward or return."""
    base = screening_queue(request.user)
    filterset = OfferFilterSet(request.GET, queryset=base, request=request)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "suppliers/screening.html",
        {
            "filter": filterset,
            "page": page,
            "query": page.query,
            "roadmaps": _filter_roadmaps(request.user),
            "pending_suppliers": suppliers_visible_to(request.user)
            .filter(verification_status=VerificationStatus.PENDING)
            .count(),
        },
    )
