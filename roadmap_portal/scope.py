"""Who a request acts for and how far it may see: the one place that reads roles."""

from dataclasses import dataclass

from .choices import Role


@dataclass(frozen=True)
class Scope:
    role: str | None
    region_id: int | None = None
    group_id: int | None = None
    body_id: int | None = None
    supplier_id: int | None = None

    @property
    def is_admin(self):
        return self.role == Role.ADMINISTRATOR

    @property
    def is_partner(self):
        return self.role == Role.PARTNER


NOBODY = Scope(role=None)


def scope_of(user):
    """The user's scope; an API key narrows a partner to the key's region or group."""
    if user is None or not user.is_authenticated:
        return NOBODY
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
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
    key = getattr(user, "_api_key", None)
    if key is not None:
        scope = Scope(role=Role.PARTNER, region_id=key.region_id, group_id=key.corporation_id)
    user._portal_scope = scope
    return scope


def reads_internal_records(user) -> bool:
    """Whether ``user`` reads what stays inside the portal: the names of the staff who acted,
    their comments and the review records. Partners read the public data only."""
    return not scope_of(user).is_partner


def has_role(user, *roles):
    scope = scope_of(user)
    return scope.is_admin or scope.role in roles
