"""Pages of the corporate review, certification and the register. Thin: forms parse,
services decide, selectors read in the user's scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadmap_portal.choices import Role
from roadmap_portal.export_jobs.views import export_response, wants_export
from roadmap_portal.models import Region
from roadmap_portal.scope import has_role, scope_of
from roadmap_portal.selectors import roadmaps_visible_to
from roadmap_portal.storage import stored_file_response
from roadmap_portal.web import (
    REFUSED_STATUS,
    apply_service_errors,
    back_to,
    form_status,
    is_refused,
    paginate,
    refusal_kept,
    role_required,
    service_errors_on,
)
from suppliers import pipeline
from suppliers.choices import OfferStatus
from suppliers.selectors import (
    history_is_internal_to,
    offer_history,
    offers_visible_to,
    suppliers_visible_to,
)
from suppliers.services import allowed_transitions, offer_transition

from . import rules, selectors, services, tables
from .choices import CertificateStatus
from .filtersets import ReviewQueueFilterSet
from .forms import (
    CertificateIssueForm,
    CertificateRenewForm,
    CertificateStatusForm,
    CommentForm,
    ReadinessForm,
    RequirementForm,
    RequirementsCheckForm,
    ScanForm,
    TestDecisionForm,
    TestRecordForm,
)
from .models import ProductTest

PAGE_SIZES = (25, 50, 100)


def _query_without(request, *names):
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _transition(request, form, *, offer, action, comment="", data=None):
    """Run one pipeline step; True when done, False when the form now carries the errors.
    A step the state no longer allows is an error above the form too, which the page shows
    again with what was typed (409); a form with nothing typed (a button) leaves it to
    ``DomainExceptionMiddleware``: a message on the view's ``back_to`` page."""
    with service_errors_on(form):
        offer_transition(
            offer_id=offer.pk, user=request.user, action=action, comment=comment, data=data or {}
        )
        return True
    return False


# --- review queue --------------------------------------------------------------------------


@role_required(Role.REVIEWER)
def queue(request):
    filterset, rows = tables.review_queue_filtered(request.user, request.GET)
    if wants_export(request):
        return export_response(request, tables.REVIEW_QUEUE, rows)
    base = selectors.review_queue(request.user)
    counts_data = request.GET.copy()
    counts_data.pop("status", None)
    counts_filter = ReviewQueueFilterSet(counts_data or None, queryset=base)
    counts_qs = counts_filter.qs if counts_filter.is_bound and counts_filter.is_valid() else base
    counts = selectors.stage_counts(counts_qs)
    page = paginate(request, rows, sizes=PAGE_SIZES, ids_first=True)
    now = timezone.now()
    for offer in page:
        offer.days_waiting = (now - offer.status_changed).days
        corporation = offer.roadmap.corporation
        offer.waiting_for_body = (
            corporation.required_body if pipeline.waiting_role(offer) == Role.OFFICER else None
        )
    group_roadmaps = roadmaps_visible_to(request.user).order_by("title")
    stages = [(status, OfferStatus(status).label, n) for status, n in counts.items()]
    return render(
        request,
        "certification/queue.html",
        {
            "page": page,
            "page_size": page.size,
            "page_sizes": PAGE_SIZES,
            "filter": filterset,
            "stages": stages,
            "total": sum(counts.values()),
            "selected_status": request.GET.getlist("status"),
            "ordering": request.GET.get("ordering") or "waiting",
            "regions": Region.objects.filter(pk__in=group_roadmaps.values("region_id")).order_by(
                "name"
            ),
            "roadmaps": group_roadmaps,
            "selected_supplier": _selected_supplier(request, filterset),
            "query": _query_without(request, "page"),
            "query_no_supplier": _query_without(request, "page", "supplier"),
            "query_no_status": _query_without(request, "page", "status"),
            "query_no_sort": _query_without(request, "page", "ordering"),
        },
    )


def _selected_supplier(request, filterset):
    """The supplier the queue is filtered by, to name it next to its number.

    The filter takes a supplier number, not a list of the group's suppliers: at a
    corporation's scale that list has thousands of entries and dominates the page.
    """
    if not filterset.is_bound or not filterset.is_valid():
        return None
    supplier_id = filterset.form.cleaned_data.get("supplier")
    if supplier_id is None:
        return None
    return suppliers_visible_to(request.user).filter(pk=supplier_id).first()


# --- stage pages of one offer --------------------------------------------------------------


def _review_offer(request, pk):
    return get_object_or_404(
        offers_visible_to(request.user).select_related(
            "roadmap__corporation", "roadmap__corporation__required_body"
        ),
        pk=pk,
    )


def _stage_forms(offer, **bound):
    status = offer.status
    forms = {}
    if status == OfferStatus.FORWARDED:
        # No outcome is chosen in advance: the reviewer picks each one.
        forms["requirements_form"] = bound.get("requirements_form") or RequirementsCheckForm(
            requirements=services.applicable_requirements(offer)
        )
    elif status == OfferStatus.REQUIREMENTS_MET:
        forms["readiness_form"] = bound.get("readiness_form") or ReadinessForm()
    elif status == OfferStatus.READINESS_CONFIRMED:
        forms["test_form"] = bound.get("test_form") or TestRecordForm()
        forms["tests_decision_form"] = bound.get("tests_decision_form") or TestDecisionForm()
    elif status in pipeline.DECISION_STAGES:
        forms["decision_form"] = bound.get("decision_form") or CommentForm()
    # A form whose step the state refused stays, whatever the stage is now: it keeps what
    # the reviewer typed.
    forms.update({name: form for name, form in bound.items() if is_refused(form)})
    return forms


def _review_page(request, offer, *, refused_action=None, **bound):
    """The review page of ``offer``; ``bound``: the posted forms, with their errors (400) or
    their step refused by the state (409: the offer as it is now, and the form again);
    ``refused_action``: the register's step that was refused."""
    status = form_status(*bound.values())
    if status == REFUSED_STATUS:
        offer.refresh_from_db(fields=["status", "status_changed"])
    corporation = offer.roadmap.corporation
    steps = allowed_transitions(offer=offer, user=request.user)
    register_steps = [t for t in steps if t.action in ("register", "exclude", "reinstate")]
    if (
        offer.status == OfferStatus.TESTED
        and corporation.required_body_id
        and not scope_of(request.user).is_admin
    ):
        register_steps = []
    if refused_action and refused_action not in {t.action for t in register_steps}:
        register_steps.insert(0, pipeline.declared(refused_action))
    context = {
        "offer": offer,
        "corporation": corporation,
        "history": offer_history(offer),
        # The offer is in the reviewer's scope, so are its datasheets; each link downloads
        # through the attachment view, which checks that scope again.
        "attachments": list(offer.attachments.order_by("id")),
        "register_steps": register_steps,
        "current_certificate": services.current_certificate(offer)
        if corporation.required_body_id
        else None,
        **_stage_forms(offer, **bound),
    }
    return render(request, "certification/review.html", context, status=status)


@role_required(Role.REVIEWER)
def review(request, pk):
    return _review_page(request, _review_offer(request, pk))


def _decide(request, pk, *, form_class, form_name, success, payload=None, form_kwargs=None):
    """A stage decision posted from the review page: the form's ``decision`` is the pipeline
    action, ``payload(form, action)`` the stage record; errors go back on the page (400).
    ``form_kwargs(offer)`` gives the form's extra arguments."""
    offer = _review_offer(request, pk)
    form = form_class(request.POST, **(form_kwargs(offer) if form_kwargs else {}))
    if form.is_valid():
        action = form.cleaned_data["decision"]
        done = _transition(
            request,
            form,
            offer=offer,
            action=action,
            comment=form.cleaned_data["comment"],
            data=payload(form, action) if payload else {},
        )
        if done is not False:
            if done:
                messages.success(request, success)
            return redirect("certification:review", pk=offer.pk)
    return _review_page(request, offer, **{form_name: form})


@require_POST
@role_required(Role.REVIEWER)
@back_to("certification:review")
def review_requirements(request, pk):
    return _decide(
        request,
        pk,
        form_class=RequirementsCheckForm,
        form_name="requirements_form",
        success=_("The requirements check is recorded."),
        payload=lambda form, action: form.payload(),
        form_kwargs=lambda offer: {"requirements": services.applicable_requirements(offer)},
    )


@require_POST
@role_required(Role.REVIEWER)
@back_to("certification:review")
def review_readiness(request, pk):
    return _decide(
        request,
        pk,
        form_class=ReadinessForm,
        form_name="readiness_form",
        success=_("The readiness evaluation is recorded."),
        payload=lambda form, action: form.payload() if action == "confirm_readiness" else {},
    )


@require_POST
@role_required(Role.REVIEWER)
@back_to("certification:review")
def review_test_record(request, pk):
    offer = _review_offer(request, pk)
    form = TestRecordForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        with service_errors_on(form):
            services.product_test_record(
                offer_id=offer.pk,
                user=request.user,
                kind=data["kind"],
                started_on=data["started_on"],
                finished_on=data.get("finished_on"),
                result=data["result"],
                remarks=data.get("remarks", ""),
                protocol=data.get("protocol"),
            )
            messages.success(request, _("The test is recorded."))
            return redirect("certification:review", pk=offer.pk)
    return _review_page(request, offer, test_form=form)


@require_POST
@role_required(Role.REVIEWER)
@back_to("certification:review")
def review_tests_decision(request, pk):
    return _decide(
        request,
        pk,
        form_class=TestDecisionForm,
        form_name="tests_decision_form",
        success=_("The test decision is recorded."),
    )


@require_POST
@role_required(Role.REVIEWER)
@back_to("certification:review")
def review_register(request, pk, action):
    """Include in the register, exclude (reason required) or reinstate."""
    if action not in ("register", "exclude", "reinstate"):
        raise Http404
    offer = _review_offer(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        done = _transition(
            request, form, offer=offer, action=action, comment=form.cleaned_data["comment"]
        )
        if done is not False:
            if done:
                messages.success(
                    request,
                    {
                        "register": _("The offer is included in the register."),
                        "exclude": _("The offer is excluded from the register."),
                        "reinstate": _("The offer is reinstated in the register."),
                    }[action],
                )
            return redirect("certification:review", pk=offer.pk)
    return _review_page(
        request, offer, refused_action=action if is_refused(form) else None, decision_form=form
    )


@login_required
def test_protocol(request, pk):
    """A test protocol, only for those who see the offer."""
    test = get_object_or_404(
        ProductTest.objects.filter(offer__in=offers_visible_to(request.user).values("pk")), pk=pk
    )
    return stored_file_response(test.protocol, filename=f"protocol-{test.offer_id}-{test.pk}.pdf")


# --- corporate requirements ----------------------------------------------------------------


@role_required(Role.REVIEWER)
def requirement_list(request):
    requirements = selectors.requirements_visible_to(request.user).order_by(
        "corporation__short_name", "code"
    )
    show = request.GET.get("show", "active")
    if show == "active":
        requirements = requirements.filter(active=True)
    elif show == "inactive":
        requirements = requirements.filter(active=False)
    search = request.GET.get("search", "").strip()
    if search:
        requirements = requirements.filter(Q(code__icontains=search) | Q(title__icontains=search))
    return render(
        request,
        "certification/requirement_list.html",
        {"requirements": requirements, "show": show, "search": search},
    )


def _requirement_form_page(request, requirement=None):
    if request.method == "POST":
        form = RequirementForm(request.POST)
        if form.is_valid():
            try:
                services.requirement_save(
                    user=request.user, requirement=requirement, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The requirement is saved."))
                return redirect("certification:requirement-list")
    elif requirement is not None:
        form = RequirementForm(
            initial={
                "code": requirement.code,
                "title": requirement.title,
                "categories": ", ".join(requirement.categories),
                "active": requirement.active,
            }
        )
    else:
        form = RequirementForm()
    return render(
        request,
        "certification/requirement_form.html",
        {"form": form, "requirement": requirement},
        status=400 if form.is_bound and form.errors else 200,
    )


@role_required(Role.REVIEWER)
def requirement_create(request):
    if scope_of(request.user).is_admin:
        messages.info(request, _("Administrators keep requirements in the admin site."))
        return redirect("admin:certification_requirement_add")
    return _requirement_form_page(request)


@role_required(Role.REVIEWER)
def requirement_edit(request, pk):
    requirement = get_object_or_404(selectors.requirements_visible_to(request.user), pk=pk)
    return _requirement_form_page(request, requirement)


@require_POST
@role_required(Role.REVIEWER)
def requirement_toggle(request, pk):
    requirement = get_object_or_404(selectors.requirements_visible_to(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    services.requirement_set_active(requirement_id=requirement.pk, user=request.user, active=active)
    messages.success(
        request,
        _("Requirement %(code)s is active again.") % {"code": requirement.code}
        if active
        else _("Requirement %(code)s is deactivated.") % {"code": requirement.code},
    )
    return redirect("certification:requirement-list")


# --- certification officers ---------------------------------------------------------------


@role_required(Role.OFFICER)
def officer_queue(request):
    offers = list(selectors.officer_queue(request.user))
    today = timezone.localdate()
    by_supplier = {}
    for offer in offers:
        offer.days_waiting = (timezone.now() - offer.status_changed).days
        offer.usable = rules.usable(offer.certificates.all(), rules.OfferFacts.of(offer), on=today)
        by_supplier.setdefault(offer.supplier, []).append(offer)
    return render(
        request,
        "certification/officer_queue.html",
        {"groups": list(by_supplier.items()), "count": len(offers)},
    )


@require_POST
@role_required(Role.OFFICER)
@back_to("certification:officer-queue")
def certify(request, pk):
    """The officer certifies one tested offer with a certificate that covers it."""
    offer = get_object_or_404(offers_visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    form.is_valid()
    done = _transition(
        request,
        form,
        offer=offer,
        action="certify",
        comment=form.cleaned_data.get("comment", ""),
        data={"certificate": request.POST.get("certificate", "")},
    )
    if done:
        messages.success(request, _("“%(offer)s” is certified.") % {"offer": offer.name})
    elif done is False:
        for error in form.non_field_errors():
            messages.error(request, error)
        for field in form.errors:
            if field != "__all__":
                for error in form.errors[field]:
                    messages.error(request, error)
    return redirect("certification:officer-queue")


@login_required
def certificate_list(request):
    filterset, rows = tables.certificates_filtered(request.user, request.GET)
    if wants_export(request):
        return export_response(request, tables.CERTIFICATES, rows)
    page = paginate(request, rows, sizes=PAGE_SIZES)
    return render(
        request,
        "certification/certificate_list.html",
        {
            "page": page,
            "page_size": page.size,
            "page_sizes": PAGE_SIZES,
            "filter": filterset,
            "statuses": CertificateStatus.choices,
            "query": _query_without(request, "page"),
            "can_issue": has_role(request.user, Role.OFFICER),
            "today": timezone.localdate(),
        },
    )


@login_required
def certificate_detail(request, pk):
    return _certificate_page(request, pk)


def _certificate_page(request, pk, *, status_form=None, refused_action=None):
    """The certificate's page; ``status_form``: a change of status the state refused, shown
    again with the reason typed (409), with the button of ``refused_action``."""
    certificate = get_object_or_404(
        selectors.certificates_visible_to(request.user).select_related("issued_by", "renews"),
        pk=pk,
    )
    is_officer = has_role(request.user, Role.OFFICER)
    # What the page lists comes from the reader's own scope, like the certificate itself.
    entries = (
        selectors.register_visible_to(request.user)
        .filter(certificate=certificate)
        .select_related("corporation", "offer")
        .order_by("corporation__short_name", "number")
    )
    return render(
        request,
        "certification/certificate_detail.html",
        {
            "certificate": certificate,
            "offers": offers_visible_to(request.user)
            .filter(certificates=certificate)
            .select_related("roadmap__corporation")
            .order_by("id"),
            "entries": entries,
            "show_staff": history_is_internal_to(request.user),
            "is_officer": is_officer,
            "status_form": status_form or CertificateStatusForm(),
            "refused_action": refused_action,
            "scan_form": ScanForm(),
            "renewal": getattr(certificate, "renewed_by", None),
            "today": timezone.localdate(),
        },
        status=form_status(status_form),
    )


def _issue_choices(user):
    offers = (
        offers_visible_to(user)
        .filter(status__in=pipeline.CERTIFIABLE)
        .order_by("supplier__name", "name", "id")
    )
    suppliers = suppliers_visible_to(user).filter(pk__in=offers.values("supplier_id"))
    return suppliers.order_by("name"), offers


@role_required(Role.OFFICER)
def certificate_issue(request):
    suppliers, offers = _issue_choices(request.user)
    if request.method == "POST":
        form = CertificateIssueForm(
            request.POST, request.FILES, user=request.user, suppliers=suppliers, offers=offers
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                certificate = services.certificate_issue(
                    user=request.user,
                    number=data["number"],
                    supplier=data["supplier"],
                    offers=list(data["offers"]),
                    issued_on=data["issued_on"],
                    valid_until=data["valid_until"],
                    scan=data.get("scan"),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Certificate %(number)s is issued.") % {"number": certificate.number}
                )
                if data.get("certify_now"):
                    _certify_covered(request, certificate)
                return redirect("certification:certificate-detail", pk=certificate.pk)
    else:
        initial = {"issued_on": timezone.localdate()}
        if request.GET.get("supplier"):
            initial["supplier"] = request.GET.get("supplier")
        if request.GET.getlist("offers"):
            initial["offers"] = request.GET.getlist("offers")
        form = CertificateIssueForm(
            initial=initial, user=request.user, suppliers=suppliers, offers=offers
        )
    return render(
        request,
        "certification/certificate_form.html",
        {"form": form, "title": _("Issue a certificate of compliance")},
        status=400 if form.is_bound and form.errors else 200,
    )


def _certify_covered(request, certificate):
    done, refused = services.certificate_certify_offers(
        certificate_id=certificate.pk, user=request.user
    )
    if done:
        messages.success(
            request,
            _("Certified: %(offers)s.") % {"offers": ", ".join(o.name for o in done)},
        )
    for offer, reason in refused:
        messages.error(
            request,
            _("“%(offer)s” is not certified: %(reason)s") % {"offer": offer.name, "reason": reason},
        )


@require_POST
@role_required(Role.OFFICER)
def certificate_certify(request, pk):
    certificate = get_object_or_404(selectors.certificate_list(request.user), pk=pk)
    _certify_covered(request, certificate)
    return redirect("certification:certificate-detail", pk=certificate.pk)


@require_POST
@role_required(Role.OFFICER)
@back_to("certification:certificate-detail")
def certificate_status(request, pk, status):
    statuses = {
        "suspend": CertificateStatus.SUSPENDED,
        "revoke": CertificateStatus.REVOKED,
        "reinstate": CertificateStatus.VALID,
    }
    if status not in statuses:
        raise Http404
    certificate = get_object_or_404(selectors.certificate_list(request.user), pk=pk)
    form = CertificateStatusForm(request.POST)
    form.is_valid()
    try:
        # Refused with a reason typed: the certificate's page with the reason kept (409).
        with refusal_kept(form):
            services.certificate_set_status(
                certificate_id=certificate.pk,
                user=request.user,
                status=statuses[status],
                reason=form.cleaned_data.get("reason", ""),
            )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if is_refused(form):
            return _certificate_page(
                request, certificate.pk, status_form=form, refused_action=status
            )
        messages.success(
            request,
            {
                "suspend": _("Certificate %(number)s is suspended."),
                "revoke": _("Certificate %(number)s is revoked."),
                "reinstate": _("Certificate %(number)s is valid again."),
            }[status]
            % {"number": certificate.number},
        )
    return redirect("certification:certificate-detail", pk=certificate.pk)


@role_required(Role.OFFICER)
@back_to("certification:certificate-detail")
def certificate_renew(request, pk):
    old = get_object_or_404(selectors.certificate_list(request.user), pk=pk)
    if request.method == "POST":
        form = CertificateRenewForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            with service_errors_on(form):
                new = services.certificate_renew(
                    certificate_id=old.pk,
                    user=request.user,
                    number=data["number"],
                    issued_on=data["issued_on"],
                    valid_until=data["valid_until"],
                    scan=data.get("scan"),
                )
                messages.success(
                    request,
                    _("Certificate %(new)s renews %(old)s.")
                    % {"new": new.number, "old": old.number},
                )
                return redirect("certification:certificate-detail", pk=new.pk)
    else:
        form = CertificateRenewForm(
            initial={"issued_on": timezone.localdate(), "valid_until": None}
        )
    return render(
        request,
        "certification/certificate_form.html",
        {
            "form": form,
            "title": _("Renew certificate %(number)s") % {"number": old.number},
            "renews": old,
        },
        status=form_status(form),
    )


@login_required
def certificate_scan(request, pk):
    """GET: the scan for whoever sees the certificate; POST: the officer uploads it."""
    certificate = get_object_or_404(selectors.certificate_list(request.user), pk=pk)
    if request.method == "POST":
        if not has_role(request.user, Role.OFFICER):
            raise PermissionDenied
        form = ScanForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.certificate_attach_scan(
                    certificate_id=certificate.pk, user=request.user, scan=form.cleaned_data["scan"]
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The scan is attached."))
                return redirect("certification:certificate-detail", pk=certificate.pk)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("certification:certificate-detail", pk=certificate.pk)
    return stored_file_response(certificate.scan, filename=f"certificate-{certificate.pk}.pdf")


# --- register of permitted products --------------------------------------------------------


@login_required
def register(request):
    filterset, rows = tables.register_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.REGISTER, rows)
    page = paginate(request, rows, sizes=PAGE_SIZES, ids_first=True)
    return render(
        request,
        "certification/register.html",
        {
            "page": page,
            "page_size": page.size,
            "page_sizes": PAGE_SIZES,
            "filter": filterset,
            "query": _query_without(request, "page", "export"),
            "corporations": filterset.form.fields["corporation"].queryset,
            "regions": Region.objects.order_by("code"),
            "today": timezone.localdate(),
        },
    )
