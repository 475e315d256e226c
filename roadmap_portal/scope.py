"""Who a request acts for and how far it may see: the one place that reads roles.

Every question "may this user see or do this?" is answered here, in three forms
(docs/authorization.md):

* ``restrict(user, queryset, RULES)``: the rows of a model the user sees. ``RULES`` is the
  model's rule table, ``{Role.X: lambda scope: Q(...)}``, kept next to the model's
  selectors; administrators see every row, a role missing from the table sees none, and
  so does a request without a role.
* ``may(user, action, obj=None)`` and ``require(user, action, obj=None)``: whether the
  user's role may take ``action`` (``"offer.create"``, ``"report.request"``...), on ``obj``
  when the action is about one object. ``require`` raises ``RoleNotAllowed`` (403).
* Role predicates (``is_supplier(user)``, ``Scope.is_supplier``, ``has_role``) for the
  places that choose what to show by role.

A user's scope is computed once per request and kept on the user object; ``forget(user)``
drops it when the user's profile changes.

The refusal rule: outside your scope, or an id that does not exist, is 404 (the selectors'
``DoesNotExist``); in scope but your role may not do this is 403 (``RoleNotAllowed``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.db.models import Model, Q, QuerySet

from .choices import Role
from .exceptions import RoleNotAllowed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

# Whoever a request acts for: a person (with the API key it called with, if any), an
# anonymous visitor, or no one (a task acting for the portal itself).
Actor: TypeAlias = "AbstractBaseUser | AnonymousUser | None"

_CACHE = "_portal_scope"

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    role: str | None
    region_id: int | None = None
    group_id: int | None = None
    body_id: int | None = None
    supplier_id: int | None = None

    @property
    def is_nobody(self) -> bool:
        """No role: anonymous, or signed in without a profile."""
        return self.role is None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def is_supplier(self) -> bool:
        """A supplier's member (administrators are not)."""
        return self.role == Role.SUPPLIER

    @property
    def is_region_staff(self) -> bool:
        return self.role == Role.REGION_STAFF

    @property
    def is_reviewer(self) -> bool:
        return self.role == Role.REVIEWER

    @property
    def is_officer(self) -> bool:
        return self.role == Role.OFFICER

    @property
    def is_supplier_member(self) -> bool:
        """A supplier's member whose profile names the supplier."""
        return self.is_supplier and bool(self.supplier_id)

    def has_role(self, *roles: str) -> bool:
        """One of ``roles``, or an administrator (who acts in every role)."""
        return self.is_admin or self.role in roles

    def is_one_of(self, *roles: str) -> bool:
        """Exactly one of ``roles`` (an administrator only when ``roles`` names it)."""
        return self.role in roles

    def acts_for_supplier(self, supplier_id: int | None) -> bool:
        """A member of the supplier ``supplier_id`` (administrators are not)."""
        return self.is_supplier and supplier_id is not None and self.supplier_id == supplier_id

    def restrict(self, queryset: QuerySet[M], rules: RuleTable) -> QuerySet[M]:
        """The rows of ``queryset`` this scope sees by the model's rule table."""
        if self.role is None:
            return queryset.none()
        if self.is_admin:
            return queryset
        rule = rules.get(self.role)
        if rule is None:
            return queryset.none()
        if isinstance(rule, Joined):
            return queryset.filter(rule.rule(self)).distinct()
        return queryset.filter(rule(self))


NOBODY = Scope(role=None)


@dataclass(frozen=True)
class Joined:
    """A rule whose condition crosses a to-many relation: the rows are made distinct."""

    rule: Callable[[Scope], Q]


# A model's rule table: what each role sees of it, as a condition on the scope.
RuleTable = Mapping[str, "Callable[[Scope], Q] | Joined"]


def everything(scope: Scope) -> Q:
    """A rule for a role that sees every row."""
    return Q()


# A condition no row meets (the query is not sent): for a scope that names nothing.
NOTHING = Q(pk__in=[])


def partner_slice(
    *,
    region: Callable[[int], Q],
    group: Callable[[int], Q],
    public: Q | None = None,
) -> Callable[[Scope], Q]:
    """A model's rule for partners: the rows published to them (``public``; every row when
    not given), narrowed to the partner's region (``region(region_id)``) and group
    (``group(group_id)``) when the scope names one: an API key's, or the partner account's
    profile's. A partner's scope that names neither sees every published row. The one
    shape of every model's partner rule, so that a key narrowed to a region or a group is
    narrowed the same way everywhere."""

    def rule(scope: Scope) -> Q:
        q = Q() if public is None else public
        if scope.region_id:
            q &= region(scope.region_id)
        if scope.group_id:
            q &= group(scope.group_id)
        return q

    return rule


def scope_of(user: Actor) -> Scope:
    """The user's scope; an API key narrows a partner to the key's region or group.

    Computed once per user object (a request's user), then kept on it: ``forget`` drops it.
    """
    if user is None or not user.is_authenticated:
        return NOBODY
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    key = getattr(user, "_api_key", None)
    if key is not None:
        # A key's scope is the key's own: the person's profile is not read.
        scope = Scope(role=Role.PARTNER, region_id=key.region_id, group_id=key.corporation_id)
    elif getattr(user, "is_superuser", False):
        scope = Scope(role=Role.ADMINISTRATOR)
    else:
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        if profile is None:
            scope = NOBODY
        else:
            scope = Scope(
                role=profile.role,
                region_id=profile.region_id,
                group_id=profile.corporation_id,
                body_id=profile.certification_body_id,
                supplier_id=profile.supplier_id,
            )
    setattr(user, _CACHE, scope)
    return scope


def forget(user: Actor) -> None:
    """Drop the user's kept scope (and profile) after the profile changed: the next
    ``scope_of`` reads it again."""
    if user is None:
        return
    # delattr, not the instance dict: a request's user is a lazy object that hands attribute
    # access on to the user it wraps, where the scope was kept.
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
    state = getattr(user, "_state", None)
    if state is not None:
        state.fields_cache.pop("profile", None)


def restrict(user: Actor, queryset: QuerySet[M], rules: RuleTable) -> QuerySet[M]:
    """The rows of ``queryset`` that ``user`` sees by the model's rule table."""
    return scope_of(user).restrict(queryset, rules)


# --- role predicates -------------------------------------------------------------------


def reads_internal_records(user: Actor) -> bool:
    """Whether ``user`` reads what stays inside the portal: the names of the staff who acted,
    their comments and the review records. Partners read the public data only."""
    return not scope_of(user).is_partner


def has_role(user: Actor, *roles: str) -> bool:
    """One of ``roles``, or an administrator."""
    return scope_of(user).has_role(*roles)


def has_no_role(user: Actor) -> bool:
    return scope_of(user).is_nobody


def is_admin(user: Actor) -> bool:
    return scope_of(user).is_admin


def is_supplier(user: Actor) -> bool:
    """A supplier's member (not an administrator)."""
    return scope_of(user).is_supplier


def is_region_staff(user: Actor) -> bool:
    return scope_of(user).is_region_staff


def is_reviewer(user: Actor) -> bool:
    return scope_of(user).is_reviewer


def is_officer(user: Actor) -> bool:
    return scope_of(user).is_officer


def is_partner(user: Actor) -> bool:
    return scope_of(user).is_partner


def portal_flags(user: Actor) -> dict[str, bool]:
    """What the base template's menu and shared includes show, by role: the templates read
    these flags and compare no role themselves."""
    scope = scope_of(user)
    return {
        "is_supplier": scope.is_supplier,
        "is_region_staff": scope.is_region_staff,
        "is_officer": scope.is_officer,
        "screens": scope.has_role(Role.REGION_STAFF),
        "reviews": scope.has_role(Role.REVIEWER),
        "sees_dashboard": scope.has_role(Role.REGION_STAFF, Role.REVIEWER),
        "sees_certificates": scope.has_role(Role.OFFICER, Role.SUPPLIER, Role.REVIEWER),
        "sees_procurement": not scope.is_officer,
    }


# --- actions ---------------------------------------------------------------------------

# An action's check: the scope, and the object when the action is about one.
Check = Callable[[Scope, Any], bool]


def _roles(*roles: str) -> Check:
    """Administrators and ``roles``."""
    return lambda scope, obj: scope.has_role(*roles)


def _offer_author(scope: Scope, offer: Any) -> bool:
    """The offer's own supplier's members (and administrators)."""
    if scope.is_admin:
        return True
    if offer is None:
        return scope.is_supplier_member
    return scope.acts_for_supplier(offer.supplier_id)


def _report_subject(scope: Scope, subject: Any) -> bool:
    """Region staff for their region and its roadmaps, reviewers for their group and its
    roadmaps, administrators for everything."""
    if scope.is_admin:
        return True
    if subject is None:
        return scope.is_one_of(Role.REGION_STAFF, Role.REVIEWER)
    if scope.is_region_staff:
        if subject.kind == "roadmap":
            return subject.roadmap.region_id == scope.region_id
        return subject.kind == "region" and subject.region.pk == scope.region_id
    if scope.is_reviewer:
        if subject.kind == "roadmap":
            return subject.roadmap.corporation_id == scope.group_id
        return subject.kind == "corporation" and subject.corporation.pk == scope.group_id
    return False


ACTIONS: dict[str, Check] = {
    # Offers: a supplier's members add them and change their own drafts.
    "offer.create": lambda scope, obj: scope.is_admin or scope.is_supplier_member,
    "offer.update": _offer_author,
    "offer.import": lambda scope, obj: scope.is_supplier_member,
    # Suppliers: a person without a role registers one; region staff verify them.
    "supplier.register": lambda scope, obj: scope.is_admin or scope.is_nobody,
    "supplier.verify": _roles(Role.REGION_STAFF),
    # Reports and the dashboard.
    "report.read": _roles(Role.REGION_STAFF, Role.REVIEWER, Role.PARTNER),
    "report.request": _report_subject,
    "dashboard.view": _roles(Role.REGION_STAFF, Role.REVIEWER),
    "volume.read": _roles(Role.REGION_STAFF, Role.REVIEWER, Role.PARTNER),
    # Certification: a group's reviewers keep its requirements, a body's officers issue.
    "requirement.keep": _roles(Role.REVIEWER),
    "certificate.issue": _roles(Role.OFFICER),
    # Webhooks: partner accounts (and partner keys, which act as partners).
    "webhook.manage": _roles(Role.PARTNER),
}


def may(user: Actor, action: str, obj: Any = None) -> bool:
    """Whether ``user`` may take ``action`` (on ``obj``). An unknown action is a bug."""
    return ACTIONS[action](scope_of(user), obj)


def require(user: Actor, action: str, obj: Any = None, *, message: Any = None) -> None:
    """``RoleNotAllowed`` (403) unless ``user`` may take ``action`` (on ``obj``)."""
    if not may(user, action, obj):
        raise RoleNotAllowed(message)


def require_role(user: Actor, *roles: str, message: Any = None) -> None:
    """``RoleNotAllowed`` (403) unless ``user`` is an administrator or of ``roles``: for the
    actions whose roles are data elsewhere (a transition's, a pipeline action's)."""
    if not has_role(user, *roles):
        raise RoleNotAllowed(message)
