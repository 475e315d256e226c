"""The authorization layer (docs/authorization.md): rule tables through restrict, the
actions through may/require, and the refusal rule: out of scope 404, a role refused 403."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from roadmap_portal.accounts.models import Profile
from roadmap_portal.exceptions import RoleNotAllowed
from roadmap_portal.insights.dashboard import Subject
from roadmap_portal.insights.reports import may_request, report_request
from roadmap_portal.scope import NOBODY, Scope, forget, may, require, scope_of
from suppliers.models import Offer
from suppliers.selectors import OFFER_RULES
from suppliers.services import offer_create, offer_update
from tests.suppliers.conftest import build_world, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _offer_fields():
    return {
        "name": "LED floodlight",
        "description": "Outdoor lighting",
        "okpd2": "27.40.39.120",
        "capacity_per_year": Decimal(10),
        "unit": "pcs",
        "unit_price": Decimal("18900.00"),
    }


def test_restrict_gives_an_administrator_everything_and_a_missing_role_nothing(world):
    make_offer(world, status="submitted")
    every = Offer.objects.all()
    assert Scope(role="administrator").restrict(every, OFFER_RULES).count() == 1
    assert NOBODY.restrict(every, OFFER_RULES).count() == 0
    assert Scope(role="region_staff", region_id=world.tomsk.pk).restrict(every, {}).count() == 0


def test_a_members_offer_belongs_to_their_own_supplier(world):
    offer = offer_create(user=world.member, roadmap=world.roadmap, **_offer_fields())
    assert offer.supplier_id == world.supplier.pk


def test_a_member_naming_another_supplier_is_refused_on_the_field(world):
    with pytest.raises(ValidationError) as caught:
        offer_create(
            user=world.member,
            supplier_id=world.neighbour.pk,
            roadmap=world.roadmap,
            **_offer_fields(),
        )
    assert "supplier" in caught.value.message_dict


def test_an_administrator_names_the_supplier(world):
    with pytest.raises(ValidationError) as caught:
        offer_create(user=world.admin, roadmap=world.roadmap, **_offer_fields())
    assert "supplier" in caught.value.message_dict
    offer = offer_create(
        user=world.admin, supplier_id=world.neighbour.pk, roadmap=world.roadmap, **_offer_fields()
    )
    assert offer.supplier_id == world.neighbour.pk


def test_other_roles_add_no_offers(world):
    with pytest.raises(RoleNotAllowed):
        offer_create(
            user=world.staff,
            supplier_id=world.supplier.pk,
            roadmap=world.roadmap,
            **_offer_fields(),
        )


def test_only_the_author_updates_an_offer(world):
    draft = make_offer(world)
    with pytest.raises(RoleNotAllowed):
        offer_update(offer=draft, user=world.neighbour_member, name="Taken over")
    offer_update(offer=draft, user=world.member, name="Renamed")
    draft.refresh_from_db()
    assert draft.name == "Renamed"


def test_a_report_is_requested_for_the_requesters_own_subject_only(world):
    own = Subject("roadmap", roadmap=world.roadmap)
    other = Subject("roadmap", roadmap=world.kaluga_roadmap)
    assert may_request(world.staff, own)
    assert not may_request(world.staff, other)
    with pytest.raises(RoleNotAllowed):
        report_request(user=world.staff, subject=other, year=2020)
    with pytest.raises(RoleNotAllowed):
        report_request(user=world.member, subject=own, year=2020)


def test_require_raises_role_not_allowed(world):
    assert may(world.staff, "supplier.verify")
    with pytest.raises(RoleNotAllowed):
        require(world.member, "supplier.verify")


def test_forget_reads_the_changed_profile_again(world):
    assert scope_of(world.member).supplier_id == world.supplier.pk
    world.member.profile.supplier = world.neighbour
    world.member.profile.save()
    assert scope_of(world.member).supplier_id == world.supplier.pk  # kept for the request
    forget(world.member)
    assert scope_of(world.member).supplier_id == world.neighbour.pk


def test_forget_reaches_through_the_lazy_request_user(world):
    """A request's user is a SimpleLazyObject: forget drops the scope kept on the user it
    wraps, so the rest of the request sees the new profile."""
    user = get_user_model().objects.get(pk=world.member.pk)
    lazy = SimpleLazyObject(lambda: user)
    assert scope_of(lazy).supplier_id == world.supplier.pk
    Profile.objects.filter(user=user).update(supplier=world.neighbour)
    forget(lazy)
    assert scope_of(lazy).supplier_id == world.neighbour.pk


def test_a_role_refused_in_scope_is_403_and_out_of_scope_is_404(client, world):
    submitted = make_offer(world, status="submitted")
    other_draft = make_offer(world, supplier=world.neighbour)
    client.force_login(world.staff)  # sees the submitted offer, may not edit it
    assert client.get(reverse("suppliers:offer-update", args=[submitted.pk])).status_code == 403
    assert client.get(reverse("suppliers:offer-update", args=[other_draft.pk])).status_code == 404
    assert client.get(reverse("suppliers:offer-update", args=[10**9])).status_code == 404
