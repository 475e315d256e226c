"""Writes of demands, tenders, bids and contracts. Each service states the rule it enforces."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap_portal import okpd2
from roadmap_portal.choices import Role
from roadmap_portal.events import announce
from roadmap_portal.exceptions import TransitionNotAllowed
from roadmap_portal.models import Corporation, Demand
from roadmap_portal.scope import Actor, Scope, require_role, scope_of
from roadmap_portal.selectors import demands_visible_to
from suppliers.choices import OfferStatus
from suppliers.models import Offer, Supplier
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from . import workflow
from .choices import BidStatus, TenderStatus
from .eligibility import Eligibility, evaluate
from .models import Bid, Contract, Tender
from .selectors import bids_visible_to, tenders_visible_to

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class NotEligible(ValidationError):
    """A bid refused because a check of section 5 fails; ``eligibility`` has every check."""

    def __init__(self, eligibility: Eligibility) -> None:
        self.eligibility = eligibility
        super().__init__({"eligibility": [f"{c.rule}: {c.detail}" for c in eligibility.failed]})


def _require_role(user: Actor, *roles: str) -> Scope:
    require_role(user, *roles)
    return scope_of(user)


def _require_customer_in_group(
    scope: Scope, customer: Corporation | None, field: str = "customer"
) -> None:
    if scope.is_admin:
        return
    if customer is None or (customer.parent_id or customer.pk) != scope.group_id:
        raise ValidationError(
            {field: _("Choose a corporation of your group (the parent or a subsidiary).")}
        )


def _positive_money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({field: _("Give the amount in rubles, e.g. 1250000.00.")}) from exc
    if amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return amount.quantize(Decimal("0.01"))


# --- demands ------------------------------------------------------------------


@transaction.atomic
def demand_create(
    *,
    user: Actor,
    customer: Corporation | None,
    title: str,
    category: str,
    quantity: Decimal | int | None = None,
    unit: str | None = "",
    replaces: str | None = "",
    deadline: datetime.date | None = None,
    description: str | None = "",
) -> Demand:
    """A corporate reviewer publishes a need of a corporation of their group."""
    scope = _require_role(user, Role.REVIEWER)
    _require_customer_in_group(scope, customer)
    demand = Demand(
        customer=customer,
        title=title,
        category=category,
        quantity=quantity,
        unit=unit or "",
        replaces=replaces or "",
        deadline=deadline,
        description=description or "",
    )
    demand.full_clean()
    demand.save()
    announce("demand.published", key=str(demand.pk), demand_id=demand.pk)
    return demand


@transaction.atomic
def demand_answer(*, user: Actor, demand_id: int, offer_id: int) -> Offer:
    """A supplier answers a demand with one of its offers still in draft."""
    scope = _require_role(user, Role.SUPPLIER)
    demand = demands_visible_to(user).get(pk=demand_id)
    offer = offers_visible_to(user).select_for_update(of=("self",)).get(pk=offer_id)
    if not scope.is_admin and offer.supplier_id != scope.supplier_id:
        raise Offer.DoesNotExist
    if offer.status != OfferStatus.DRAFT:
        raise ValidationError(
            {
                "offer": _(
                    "Only a draft offer can be linked to a demand; “%(name)s” is %(status)s."
                )
                % {"name": offer.name, "status": offer.get_status_display()}
            }
        )
    Offer.objects.filter(pk=offer.pk).update(demand=demand, updated=timezone.now())
    offer.demand = demand
    return offer


# --- tenders ------------------------------------------------------------------


def _clean_categories(categories: str | Iterable[Any] | None) -> list[str]:
    if isinstance(categories, str):
        categories = [c for c in categories.replace(",", " ").split() if c]
    codes = [str(c).strip() for c in categories or [] if str(c).strip()]
    if not codes:
        raise ValidationError({"categories": _("Give at least one OKPD2 category.")})
    errors = []
    for code in codes:
        try:
            okpd2.validate(code)
        except ValidationError as exc:
            errors.append(f"{code}: {' '.join(exc.messages)}")
    if errors:
        raise ValidationError({"categories": errors})
    return list(dict.fromkeys(codes))


@transaction.atomic
def tender_create(
    *,
    user: Actor,
    customer: Corporation | None,
    number: str,
    title: str,
    categories: str | Iterable[Any] | None,
    published_on: datetime.date,
    deadline: datetime.date,
    estimated_value: Any,
    description: str | None = "",
    status: str = TenderStatus.ANNOUNCED,
) -> Tender:
    """A corporate reviewer announces (or directly opens) a tender of a corporation of the group."""
    scope = _require_role(user, Role.REVIEWER)
    _require_customer_in_group(scope, customer)
    if status not in (TenderStatus.ANNOUNCED, TenderStatus.OPEN):
        raise ValidationError({"status": _("A new tender is announced or open.")})
    if published_on and deadline and deadline < published_on:
        raise ValidationError({"deadline": _("The deadline cannot precede publication.")})
    tender = Tender(
        customer=customer,
        number=number,
        title=title,
        description=description or "",
        categories=_clean_categories(categories),
        published_on=published_on,
        deadline=deadline,
        estimated_value=_positive_money(estimated_value, "estimated_value"),
        status=status,
    )
    tender.full_clean()
    tender.save()
    if tender.status == TenderStatus.OPEN:
        _tender_opened(tender.pk)
    return tender


def _tender_opened(tender_id: int) -> None:
    """Announce the opening in the current transaction (``roadmap_portal.events``): the
    notifications and the webhook event run once it commits, once per tender."""
    announce("tender.opened", key=str(tender_id), tender_id=tender_id)


def _tender_in_scope(user: Actor, tender_id: int) -> Tender:
    return tenders_visible_to(user).get(pk=tender_id)


def tender_transition(*, user: Actor, tender_id: int, action: str) -> Tender:
    """Move a tender along ``procurement.workflow``: a conditional UPDATE on the status, so of
    two concurrent calls one wins and the other gets a conflict (409). Awarding needs a bid:
    use ``tender_award``."""
    transition = workflow.ACTIONS.get(action)
    if transition is None or action == "award":
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    tender = _tender_in_scope(user, tender_id)
    _require_role(user, Role.REVIEWER)
    with transaction.atomic():
        moved = Tender.objects.filter(pk=tender.pk, status__in=transition.sources).update(
            status=transition.target, updated=timezone.now()
        )
        if not moved:
            tender.refresh_from_db(fields=["status"])
            raise TransitionNotAllowed(
                _("“%(action)s” is not allowed while the tender is %(status)s.")
                % {"action": transition.label, "status": tender.get_status_display().lower()},
                current=tender.status,
            )
        if transition.target == TenderStatus.OPEN:
            _tender_opened(tender.pk)
    tender.refresh_from_db()
    return tender


@transaction.atomic
def tender_award(
    *,
    user: Actor,
    tender_id: int,
    bid_id: Any,
    amount: Any = None,
    signed_on: datetime.date | None = None,
    number: str | None = "",
) -> Contract:
    """Award an open or closed tender to one of its bids: the bid wins, the others lose and
    a contract with the bid's supplier is signed, all or nothing."""
    tender = _tender_in_scope(user, tender_id)
    _require_role(user, Role.REVIEWER)
    try:
        bid = bids_visible_to(user).get(pk=bid_id, tender_id=tender.pk)
    except (Bid.DoesNotExist, TypeError, ValueError) as exc:
        raise ValidationError({"bid": _("Choose a bid submitted on this tender.")}) from exc
    amount = _positive_money(amount if amount not in (None, "") else bid.price, "amount")
    moved = Tender.objects.filter(
        pk=tender.pk, status__in=workflow.ACTIONS["award"].sources
    ).update(status=TenderStatus.AWARDED, updated=timezone.now())
    if not moved:
        tender.refresh_from_db(fields=["status"])
        raise TransitionNotAllowed(
            _("The tender is %(status)s: it cannot be awarded.")
            % {"status": tender.get_status_display().lower()},
            current=tender.status,
        )
    Bid.objects.filter(pk=bid.pk).update(status=BidStatus.AWARDED)
    Bid.objects.filter(tender_id=tender.pk).exclude(pk=bid.pk).update(status=BidStatus.LOST)
    contract = Contract(
        supplier=bid.supplier,
        customer=tender.customer,
        tender=tender,
        bid=bid,
        number=number or f"{tender.number}/1",
        subject=tender.title[:400],
        amount=amount,
        signed_on=signed_on or timezone.localdate(),
    )
    contract.full_clean()
    contract.save()
    announce("bid.awarded", key=str(bid.pk), bid_id=bid.pk)
    return contract


# --- bids ---------------------------------------------------------------------


def bid_create(
    *,
    user: User,
    tender_id: int,
    offer_ids: Iterable[Any] | None,
    price: Any,
    supplier_id: int | None = None,
) -> Bid:
    """A supplier bids on a tender with offers that make it eligible.

    Eligibility is evaluated again under a lock on the tender row and kept with the bid;
    a supplier bids once per tender (a second bid, even a concurrent one, is refused).
    """
    scope = _require_role(user, Role.SUPPLIER)
    if scope.is_supplier:
        supplier_id = scope.supplier_id
    if not supplier_id:
        raise ValidationError({"supplier": _("Choose the supplier that bids.")})
    amount = _positive_money(price, "price")
    chosen = {int(pk) for pk in offer_ids or []}
    if not chosen:
        raise ValidationError({"offers": _("Choose at least one of your eligible offers.")})
    if not tenders_visible_to(user).filter(pk=tender_id).exists():
        raise Tender.DoesNotExist
    supplier = suppliers_visible_to(user).get(pk=supplier_id)
    with transaction.atomic():
        tender = (
            Tender.objects.select_for_update(of=("self",))
            .select_related("customer")
            .get(pk=tender_id)
        )
        if Bid.objects.filter(tender_id=tender.pk, supplier_id=supplier.pk).exists():
            raise ValidationError(
                {
                    "tender": _("%(supplier)s has already bid on tender %(number)s.")
                    % {"supplier": supplier.name, "number": tender.number}
                }
            )
        result = evaluate(tender=tender, supplier=supplier)
        if not result.eligible:
            raise NotEligible(result)
        allowed = {o.pk for o in result.offers}
        wrong = sorted(chosen - allowed)
        if wrong:
            raise ValidationError(
                {
                    "offers": _(
                        "Offers %(ids)s do not make you eligible: bid with registered offers in the "
                        "tender's categories whose certificate is valid through the deadline."
                    )
                    % {"ids": ", ".join(map(str, wrong))}
                }
            )
        try:
            with transaction.atomic():
                bid = Bid.objects.create(
                    tender=tender,
                    supplier=supplier,
                    price=amount,
                    eligibility={
                        **result.as_dict(),
                        "evaluated_on": timezone.localdate().isoformat(),
                    },
                    submitted_by=user,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "tender": _("%(supplier)s has already bid on tender %(number)s.")
                    % {"supplier": supplier.name, "number": tender.number}
                }
            ) from exc
        bid.offers.set(sorted(chosen))
    return bid


# --- contracts ----------------------------------------------------------------


def contract_create(
    *,
    user: Actor,
    supplier: Supplier | None,
    customer: Corporation,
    amount: Any,
    signed_on: datetime.date,
    tender: Tender | None = None,
    number: str | None = "",
    subject: str | None = "",
) -> Contract:
    """A corporate reviewer records a contract of a corporation of the group with a supplier
    of a roadmap region, after a tender of that customer or as a direct purchase."""
    scope = _require_role(user, Role.REVIEWER)
    _require_customer_in_group(scope, customer)
    if supplier is None or not suppliers_visible_to(user).filter(pk=supplier.pk).exists():
        raise ValidationError(
            {"supplier": _("Choose a supplier of a region with a roadmap with your group.")}
        )
    if tender is not None and tender.customer_id != customer.pk:
        raise ValidationError({"tender": _("The tender was held by another customer.")})
    contract = Contract(
        supplier=supplier,
        customer=customer,
        tender=tender,
        number=number or "",
        subject=subject or "",
        amount=_positive_money(amount, "amount"),
        signed_on=signed_on,
    )
    contract.full_clean()
    contract.save()
    return contract
