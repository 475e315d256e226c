from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadmap_portal.choices import Role
from roadmap_portal.export_jobs.views import export_response, wants_export
from roadmap_portal.scope import scope_of
from roadmap_portal.selectors import demands_visible_to
from roadmap_portal.web import apply_service_errors, back_to, paginate, role_required
from suppliers.models import Offer, Supplier
from suppliers.selectors import (
    offers_brief_visible_to,
    offers_visible_to,
    suppliers_visible_to,
)

from . import services, tables, workflow
from .choices import BidStatus, TenderStatus
from .eligibility import evaluate, supplier_tenders, suppliers_for_tender
from .forms import BidForm, ContractForm, DemandForm, TenderForm, style_form
from .selectors import (
    bids_visible_to,
    contracts_visible_to,
    demand_coverage,
    tenders_visible_to,
)


def _messages_for(request, exc):
    for message in getattr(exc, "messages", [str(exc)]):
        messages.error(request, message)


# --- tenders ------------------------------------------------------------------


@login_required
def tender_list(request):
    scope = scope_of(request.user)
    filterset, tenders = tables.tenders_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.TENDERS, tenders)
    page = paginate(request, tenders)
    return render(
        request,
        "procurement/tender_list.html",
        {
            "filter": filterset,
            "filter_form": style_form(filterset.form, "sm"),
            "page": page,
            "query": page.query,
            "can_create": scope.has_role(Role.REVIEWER),
        },
    )


@login_required
def tender_detail(request, pk):
    tender = get_object_or_404(tenders_visible_to(request.user), pk=pk)
    scope = scope_of(request.user)
    context = {"tender": tender, "scope": scope}
    is_reviewer = scope.has_role(Role.REVIEWER)
    if scope.is_supplier:
        supplier = Supplier.objects.get(pk=scope.supplier_id)
        result = evaluate(tender=tender, supplier=supplier)
        own_bid = bids_visible_to(request.user).filter(tender=tender).first()
        context.update(
            eligibility=result,
            own_bid=own_bid,
            bid_form=BidForm(user=request.user, offers=result.offers)
            if result.eligible and not own_bid
            else None,
        )
    if is_reviewer:
        eligible, near = suppliers_for_tender(tender, suppliers_visible_to(request.user))
        bids = (
            bids_visible_to(request.user)
            .filter(tender=tender)
            .prefetch_related(Prefetch("offers", queryset=offers_brief_visible_to(request.user)))
            .order_by("price", "id")
        )
        context.update(
            eligible=eligible,
            near_misses=near,
            bids=bids,
            can_award=tender.status in workflow.ACTIONS["award"].sources,
            transitions=[
                t for t in workflow.transitions_from(tender.status) if t.action != "award"
            ],
        )
    if scope.has_role(Role.REVIEWER, Role.REGION_STAFF, Role.PARTNER):
        context["contracts"] = contracts_visible_to(request.user).filter(tender=tender)
    return render(request, "procurement/tender_detail.html", context)


def _reviewer_form(request, *, form_class, service, title, done):
    """A reviewer's create form: validate, call ``service``, show its errors on the form;
    ``done(obj)`` gives the success message and where to go next (the view is
    ``role_required(Role.REVIEWER)``)."""
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = service(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            message, target = done(created)
            messages.success(request, message)
            return target
    return render(request, "procurement/form.html", {"form": form, "title": title})


@role_required(Role.REVIEWER)
def tender_create(request):
    return _reviewer_form(
        request,
        form_class=TenderForm,
        service=services.tender_create,
        title=_("New tender"),
        done=lambda tender: (
            _("Tender %(number)s created.") % {"number": tender.number},
            redirect("procurement:tender-detail", tender.pk),
        ),
    )


@login_required
@require_POST
@back_to("procurement:tender-detail")
def tender_transition(request, pk):
    tender = get_object_or_404(tenders_visible_to(request.user), pk=pk)
    try:
        services.tender_transition(
            user=request.user, tender_id=tender.pk, action=request.POST.get("action", "")
        )
    except ValidationError as exc:
        _messages_for(request, exc)
    else:
        messages.success(request, _("The tender's status was changed."))
    return redirect("procurement:tender-detail", tender.pk)


@login_required
@require_POST
@back_to("procurement:tender-detail")
def tender_award(request, pk):
    tender = get_object_or_404(tenders_visible_to(request.user), pk=pk)
    try:
        contract = services.tender_award(
            user=request.user, tender_id=tender.pk, bid_id=request.POST.get("bid")
        )
    except ValidationError as exc:
        _messages_for(request, exc)
    else:
        messages.success(
            request,
            _("Tender awarded to %(supplier)s; contract %(number)s recorded.")
            % {"supplier": contract.supplier.name, "number": contract.number},
        )
    return redirect("procurement:tender-detail", tender.pk)


@role_required(Role.SUPPLIER)
def tender_bid(request, pk):
    scope = scope_of(request.user)
    tender = get_object_or_404(tenders_visible_to(request.user), pk=pk)
    if request.method != "POST" or not scope.is_supplier:
        return redirect("procurement:tender-detail", tender.pk)
    supplier = Supplier.objects.get(pk=scope.supplier_id)
    result = evaluate(tender=tender, supplier=supplier)
    form = BidForm(request.POST, user=request.user, offers=result.offers)
    if form.is_valid():
        try:
            services.bid_create(
                user=request.user,
                tender_id=tender.pk,
                offer_ids=[o.pk for o in form.cleaned_data["offers"]],
                price=form.cleaned_data["price"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your bid on %(number)s was submitted.") % {"number": tender.number}
            )
            return redirect("procurement:tender-detail", tender.pk)
    own_bid = bids_visible_to(request.user).filter(tender=tender).first()
    return render(
        request,
        "procurement/tender_detail.html",
        {
            "tender": tender,
            "scope": scope,
            "eligibility": evaluate(tender=tender, supplier=supplier),
            "own_bid": own_bid,
            "bid_form": form if not own_bid else None,
        },
        status=400,
    )


@role_required(Role.SUPPLIER)
def my_tenders(request):
    """A supplier's open tenders in its offers' categories: those it may bid on, and why
    not for the others; the tenders where it has no offer are only counted."""
    scope = scope_of(request.user)
    if not scope.is_supplier:
        return redirect("procurement:tender-list")
    supplier = Supplier.objects.select_related("region").get(pk=scope.supplier_id)
    tenders = (
        tenders_visible_to(request.user).filter(status=TenderStatus.OPEN).order_by("deadline", "id")
    )
    standing = supplier_tenders(supplier, tenders)
    bid_on = set(
        bids_visible_to(request.user)
        .filter(tender_id__in=[r.tender.pk for r in standing.may_bid])
        .values_list("tender_id", flat=True)
    )
    return render(
        request,
        "procurement/my_tenders.html",
        {
            "supplier": supplier,
            "may_bid": standing.may_bid,
            "may_not": standing.may_not,
            "outside": standing.outside,
            "bid_on": bid_on,
        },
    )


# --- bids ---------------------------------------------------------------------


@login_required
def bid_list(request):
    filterset, bids = tables.bids_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.BIDS, bids)
    page = paginate(request, bids)
    return render(
        request,
        "procurement/bid_list.html",
        {
            "filter": filterset,
            "filter_form": style_form(filterset.form, "sm"),
            "page": page,
            "query": page.query,
            "statuses": BidStatus.choices,
        },
    )


# --- contracts ----------------------------------------------------------------


@login_required
def contract_list(request):
    scope = scope_of(request.user)
    filterset, contracts = tables.contracts_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.CONTRACTS, contracts)
    page = paginate(request, contracts)
    return render(
        request,
        "procurement/contract_list.html",
        {
            "filter": filterset,
            "filter_form": style_form(filterset.form, "sm"),
            "page": page,
            "query": page.query,
            "can_create": scope.has_role(Role.REVIEWER),
        },
    )


@role_required(Role.REVIEWER)
def contract_create(request):
    return _reviewer_form(
        request,
        form_class=ContractForm,
        service=services.contract_create,
        title=_("New contract"),
        done=lambda contract: (_("Contract recorded."), redirect("procurement:contract-list")),
    )


# --- demands ------------------------------------------------------------------


@login_required
def demand_list(request):
    scope = scope_of(request.user)
    matching = tables.demands_matching(request.user, request.GET)
    filterset, demands = tables.demands_filtered(request.user, request.GET, request=request)
    if wants_export(request):
        return export_response(request, tables.DEMANDS, demands)
    drafts = []
    if scope.is_supplier:
        drafts = list(
            offers_visible_to(request.user)
            .filter(status="draft", demand__isnull=True)
            .order_by("name")
        )
    # "Answers" counts the answers the reader may see.
    page = paginate(
        request,
        demands.prefetch_related(
            Prefetch("offers", queryset=offers_brief_visible_to(request.user))
        ),
    )
    return render(
        request,
        "procurement/demand_list.html",
        {
            "filter": filterset,
            "filter_form": style_form(filterset.form, "sm"),
            "page": page,
            "query": page.query,
            "matching": matching,
            "is_supplier": scope.is_supplier,
            "drafts": drafts,
            "can_create": scope.has_role(Role.REVIEWER),
            "can_see_coverage": scope.is_region_staff,
        },
    )


@login_required
def demand_detail(request, pk):
    """A demand, with the offers and suppliers in the reader's scope that could replace the
    imported item (by OKPD2 class and by text: the template's ``demand_substitutes``)."""
    demand = get_object_or_404(demands_visible_to(request.user), pk=pk)
    return render(request, "procurement/demand_detail.html", {"demand": demand})


@role_required(Role.REVIEWER)
def demand_create(request):
    return _reviewer_form(
        request,
        form_class=DemandForm,
        service=services.demand_create,
        title=_("New demand"),
        done=lambda demand: (_("Demand published."), redirect("procurement:demand-list")),
    )


@role_required(Role.SUPPLIER)
@require_POST
def demand_answer(request, pk):
    try:
        offer = services.demand_answer(
            user=request.user, demand_id=pk, offer_id=request.POST.get("offer")
        )
    except (Offer.DoesNotExist, ValueError, TypeError):
        messages.error(request, _("Choose one of your draft offers."))
    except ValidationError as exc:
        _messages_for(request, exc)
    else:
        messages.success(
            request,
            _("“%(offer)s” now answers “%(demand)s”.")
            % {"offer": offer.name, "demand": offer.demand.title},
        )
    return redirect("procurement:demand-list")


@role_required(Role.REGION_STAFF)
def demand_coverage_view(request):
    """Region staff: which demands the region's suppliers cover, and which none covers."""
    scope = scope_of(request.user)
    if scope.region_id is None:
        return redirect("procurement:demand-list")
    demands = demands_visible_to(request.user).order_by("deadline", "id")
    rows = demand_coverage(demands, scope.region_id)
    return render(
        request,
        "procurement/demand_coverage.html",
        {
            "covered": [r for r in rows if r[1]],
            "uncovered": [r for r in rows if not r[1]],
        },
    )
