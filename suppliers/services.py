"""Writes for suppliers and offers. Each service states the rule it enforces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap_portal import bulk
from roadmap_portal.append_only import reserve_id
from roadmap_portal.choices import RoadmapStatus
from roadmap_portal.events import announce
from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed
from roadmap_portal.fsm import Transition
from roadmap_portal.input_limits import check_free_text, check_json_value
from roadmap_portal.models import Region, Roadmap
from roadmap_portal.rate_limits import count_this_hour
from roadmap_portal.scope import Actor, forget, may, require, require_role, scope_of

from . import pipeline
from .choices import OfferStatus, VerificationStatus
from .models import Offer, OfferAttachment, OfferTransition, Supplier
from .selectors import offers_visible_to, suppliers_visible_to
from .signals import supplier_registered
from .validators import pdf_stored_name, validate_pdf_upload

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files.base import File


def allowed_transitions(*, offer: Offer, user: Actor) -> list[Transition]:
    """The transitions ``user`` may take on ``offer`` now: what the UI shows as buttons."""
    scope = scope_of(user)
    return [t for t in pipeline.transitions_from(offer.status) if scope.has_role(*t.roles)]


def offer_transition(
    *,
    offer_id: int,
    user: Any,
    action: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> tuple[Offer, OfferTransition]:
    """Move an offer one step along the pipeline.

    The offer must be in the user's scope (else ``Offer.DoesNotExist``: 404), the
    action must exist from the offer's current state (else TransitionNotAllowed: 409),
    the user's role must be one the transition names (else RoleNotAllowed: 403) and
    the stage's ``data`` must pass the transition's input serializer and make its record
    complete (else ValidationError: 400). The row is
    locked, so of two concurrent calls exactly one wins; the other sees the new state.
    The comment and the record follow the input limits (no NUL, free text within
    ``INPUT_TEXT_MAX_LENGTH``), whichever door they came through.
    """
    data = data or {}
    comment = (comment or "").strip()
    if action not in pipeline.ACTIONS:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    check_free_text(comment, field="comment")
    check_json_value(data, field="data")
    with transaction.atomic():
        offer = offers_visible_to(user).select_for_update(of=("self",)).get(pk=offer_id)
        scope = scope_of(user)
        check_action_role(user=user, action=action)
        step = pipeline.find(action, offer.status)
        if step is None:
            raise TransitionNotAllowed(
                _("“%(action)s” is not allowed while the offer is %(status)s.")
                % {"action": pipeline.label_of(action), "status": offer.get_status_display()},
                current=offer.status,
            )
        if not scope.has_role(*step.roles):
            raise RoleNotAllowed()
        if step.comment_required and not comment:
            raise ValidationError({"comment": _("A comment is required for this action.")})
        if step.guard:
            step.guard(offer=offer, user=user, data=data)
        values = stage_input(step, offer=offer, user=user, data=data)
        history = _apply(offer=offer, step=step, user=user, comment=comment, data=values)
    return offer, history


def check_action_role(*, user: Actor, action: str) -> None:
    """RoleNotAllowed unless the user's role is one some transition of ``action`` names
    (administrators take every action)."""
    require_role(user, *pipeline.roles_of(action))


def may_take_action(*, user: Actor, action: str) -> bool:
    """Whether the user's role may take ``action`` at all: a list shows it as a bulk button."""
    try:
        check_action_role(user=user, action=action)
    except RoleNotAllowed:
        return False
    return True


def bulk_transition_request(
    *, user: Actor, action: str, actions: Sequence[str], ids: Iterable[Any], comment: str | None
) -> tuple[list[int], str]:
    """The checks of a whole bulk request, before any row moves: ``action`` one of
    ``actions``, the ids within ``bulk.MAX_IDS``, a clean comment, a role the action names
    (RoleNotAllowed) and the comment the action requires. Answers the ids and the comment
    as every row uses them."""
    if action not in actions:
        raise ValidationError(
            {"action": _("Choose one of: %(actions)s.") % {"actions": ", ".join(actions)}}
        )
    checked = bulk.check_ids(ids)
    comment = (comment or "").strip()
    check_free_text(comment, field="comment")
    check_action_role(user=user, action=action)
    if pipeline.comment_required(action) and not comment:
        raise ValidationError({"comment": _("A comment is required for this action.")})
    return checked, comment


def offers_bulk_transition(
    *, user: Actor, action: str, ids: Iterable[Any], comment: str = ""
) -> list[bulk.RowResult]:
    """Take ``action`` on many offers, each through ``offer_transition`` in a transaction of
    its own: one row's refusal rolls back that row only, and each row's result says what
    the single action would have said (an id outside the user's scope: "not found").

    The action must be one of ``pipeline.BULK_ACTIONS`` (actions needing no stage record of
    each offer) and the ids within ``bulk.MAX_IDS`` (else ValidationError, nothing done);
    a role the action does not name is refused for the whole request (RoleNotAllowed); a
    comment the action requires must be given, once, and applies to every row. A repeated
    request changes nothing twice: each row already moved reports why it cannot move again.
    """
    checked, comment = bulk_transition_request(
        user=user, action=action, actions=pipeline.BULK_ACTIONS, ids=ids, comment=comment
    )
    names = dict(offers_visible_to(user).filter(pk__in=checked).values_list("pk", "name"))

    def act(pk: int) -> bulk.RowResult:
        offer, _history = offer_transition(offer_id=pk, user=user, action=action, comment=comment)
        return bulk.RowResult(
            pk,
            bulk.DONE,
            _("Done: the offer is now %(status)s.") % {"status": offer.get_status_display()},
            name=offer.name,
            status=offer.status,
            status_display=offer.get_status_display(),
        )

    return bulk.run_each(checked, act, names=names)


def stage_input(
    step: Transition, *, offer: Offer, user: Any, data: dict[str, Any]
) -> dict[str, Any]:
    """The stage record's cleaned values: ``data`` validated by the transition's input
    serializer (the same for the API and the pages). Its problems are one ValidationError
    on ``data``, each message naming the field it is about; a step without input takes none."""
    if step.input is None:
        return {}
    body = step.input(data=data, context={"offer": offer, "user": user})
    if body.is_valid():
        return dict(body.validated_data)
    raise ValidationError({"data": list(_messages(body.errors))})


def _messages(errors: Any, path: str = "") -> Iterator[ValidationError]:
    """Flat messages of a serializer's nested errors; a field's messages start with its path
    (``test.started_on: ...``), the serializer's own (``non_field_errors``) do not."""
    if isinstance(errors, dict):
        for name, inner in errors.items():
            inner_path = path if name == "non_field_errors" else f"{path}.{name}".lstrip(".")
            yield from _messages(inner, inner_path)
    elif isinstance(errors, list):
        for index, inner in enumerate(errors):
            if isinstance(inner, dict | list):
                yield from _messages(inner, f"{path}[{index}]")
            else:
                yield from _messages(inner, path)
    else:
        text = f"{path}: {errors}" if path else str(errors)
        yield ValidationError(text, code=getattr(errors, "code", None))


def _apply(
    *, offer: Offer, step: Transition, user: User | None, comment: str, data: dict[str, Any]
) -> OfferTransition:
    """Write the stage record and the history row, move the locked offer, notify after commit.

    The history row is append-only (written once): its id is reserved, the stage record's
    rows point to it, and it is inserted last with what the stage record keeps."""
    history = OfferTransition(
        pk=reserve_id(OfferTransition),
        offer=offer,
        action=step.action,
        from_status=offer.status,
        to_status=step.target,
        actor=user,
        comment=comment,
    )
    if step.record:
        kept = step.record(offer=offer, user=user, data=data, transition=history, comment=comment)
        if kept:
            history.data = kept
    history.save(force_insert=True)
    now = timezone.now()
    updated = Offer.objects.filter(pk=offer.pk, status=offer.status).update(
        status=step.target, status_changed=now, updated=now
    )
    if updated != 1:  # only possible without row locks (SQLite): someone else won
        raise TransitionNotAllowed(current=offer.status)
    offer.status, offer.status_changed = step.target, now
    _announce(history.pk)
    return history


def _announce(transition_id: int) -> None:
    """Announce the transition in its transaction (``roadmap_portal.events``): the
    notifications and webhook events run after it commits, once, and again by the outbox's
    sweep while the broker is away."""
    announce("offer.transitioned", key=str(transition_id), transition_id=transition_id)


def supplier_register(*, user: User, **fields: Any) -> Supplier:
    """A person registers an organisation: it starts pending and the person becomes its member.

    The membership is the accounts app's (``suppliers.signals.supplier_registered``, in this
    transaction). The INN must be unique (a duplicate is reported on ``inn``). A person who already has a
    role in the portal cannot register another organisation; an administrator registers one
    on someone's behalf without becoming its member.
    """
    require(
        user,
        "supplier.register",
        message=_("You already have a role in the portal and cannot register an organisation."),
    )
    scope = scope_of(user)
    supplier = Supplier(**fields, verification_status=VerificationStatus.PENDING)
    supplier.full_clean()
    with transaction.atomic():
        try:
            with transaction.atomic():
                supplier.save()
        except IntegrityError as exc:  # the same INN registered a moment ago
            raise ValidationError(
                {"inn": Supplier._meta.get_field("inn").error_messages["unique"]}
            ) from exc
        if not scope.is_admin:
            supplier_registered.send(sender=Supplier, supplier=supplier, user=user)
            forget(user)
    return supplier


def supplier_signup(
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    email: str,
    supplier_fields: dict[str, Any],
) -> tuple[User, Supplier]:
    """A new person and their organisation, in one transaction: both are saved or neither.

    The person is the organisation's member; the organisation starts pending verification.
    """
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken: choose another one.")})
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
        supplier = supplier_register(user=user, **supplier_fields)
    return user, supplier


REGISTRATION_SALT = "suppliers.registration"


def address_has_account(email: str) -> bool:
    """Whether a person signs in with this address or has it as their e-mail."""
    return (
        get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
    )


class RegistrationThrottled(Exception):
    """Too many registration requests from one client address within the hour."""


def supplier_signup_request(
    *,
    first_name: str,
    last_name: str,
    email: str,
    supplier_fields: dict[str, Any],
    client: str | None = None,
) -> None:
    """Someone asks to register a person and an organisation. The answer must not tell
    whether the address has an account, so the address itself is told, by e-mail:

    * the organisation is checked first, the same for everyone (a ValidationError names
      the field: a bad or already registered INN);
    * an address without an account gets a signed link, valid ``REGISTRATION_LINK_HOURS``,
      that carries the registration (no password: it is chosen after the link is opened);
    * an address with an account gets a note that it has one, and no link.

    Nothing is saved: the account and the organisation are created when the link is used
    (``supplier_signup_confirm``). So that the form cannot flood a mailbox, one client
    address makes at most ``REGISTRATION_REQUESTS_PER_HOUR`` requests an hour (else
    RegistrationThrottled) and one e-mail address gets at most ``REGISTRATION_MAILS_PER_HOUR``
    messages an hour (past that the answer is the same, and no message is sent).
    """
    if count_this_hour("signup:client", client or "") > settings.REGISTRATION_REQUESTS_PER_HOUR:
        raise RegistrationThrottled
    Supplier(**supplier_fields, verification_status=VerificationStatus.PENDING).full_clean()
    if count_this_hour("signup:address", email) > settings.REGISTRATION_MAILS_PER_HOUR:
        return
    context: dict[str, Any] = {
        "first_name": first_name,
        "organisation": supplier_fields["name"],
        "email": email,
        "hours": settings.REGISTRATION_LINK_HOURS,
        "login_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse("login"),
    }
    if address_has_account(email):
        template = "emails/registration_exists.txt"
    else:
        template = "emails/registration_confirm.txt"
        token = signing.dumps(
            {
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "supplier": {**supplier_fields, "region": supplier_fields["region"].code},
            },
            salt=REGISTRATION_SALT,
            compress=True,
        )
        context["link"] = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
            "suppliers:register-confirm", args=[token]
        )
    send_mail(
        _("Your registration on the Roadmap Portal"),
        render_to_string(template, context),
        None,
        [email],
    )


def supplier_signup_pending(token: str) -> dict[str, Any]:
    """The registration a link carries. ``signing.BadSignature`` for a forged, altered or
    expired link (``SignatureExpired`` is one)."""
    data = signing.loads(
        token,
        salt=REGISTRATION_SALT,
        max_age=timedelta(hours=settings.REGISTRATION_LINK_HOURS),
    )
    if not isinstance(data, dict) or "email" not in data:
        raise signing.BadSignature("not a registration")
    return data


def supplier_signup_confirm(*, token: str, password: str) -> tuple[User, Supplier]:
    """The address is confirmed: the person (sign-in name: the address) and the
    organisation are created together and the person is its member. A ValidationError on
    ``username`` if the address got an account meanwhile (the link works once)."""
    data = supplier_signup_pending(token)
    fields = dict(data["supplier"])
    try:
        fields["region"] = Region.objects.get(code=fields["region"])
    except Region.DoesNotExist as exc:
        raise signing.BadSignature("the region is gone") from exc
    if address_has_account(data["email"]):
        raise ValidationError({"username": _("This address already has an account.")})
    return supplier_signup(
        username=data["email"],
        password=password,
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        supplier_fields=fields,
    )


def _check_may_verify(user: Actor) -> None:
    require(user, "supplier.verify")


def may_verify_suppliers(*, user: Actor) -> bool:
    """Whether the user decides on suppliers' verification (a list's bulk buttons)."""
    return may(user, "supplier.verify")


def supplier_verify(
    *, supplier_id: int, user: User, verified: bool, comment: str | None = ""
) -> Supplier:
    """Region staff verify or reject a supplier of their own region; a rejection needs a reason.
    A decision already taken is not taken again (TransitionNotAllowed): verifying a verified
    supplier or rejecting a rejected one changes nothing."""
    with transaction.atomic():
        visible = suppliers_visible_to(user).get(pk=supplier_id)
        _check_may_verify(user)
        if not verified and not (comment or "").strip():
            raise ValidationError({"comment": _("Say why the supplier is rejected.")})
        supplier = Supplier.objects.select_for_update().select_related("region").get(pk=visible.pk)
        target = VerificationStatus.VERIFIED if verified else VerificationStatus.REJECTED
        if supplier.verification_status == target:
            message = (
                _("%(supplier)s is already verified.")
                if verified
                else _("%(supplier)s is already rejected.")
            )
            raise TransitionNotAllowed(
                message % {"supplier": supplier.name}, current=supplier.verification_status
            )
        supplier.verification_status = target
        supplier.verification_comment = (comment or "").strip()
        supplier.verified_by = user
        supplier.verified_at = timezone.now()
        supplier.save(
            update_fields=[
                "verification_status",
                "verification_comment",
                "verified_by",
                "verified_at",
            ]
        )
    return supplier


def suppliers_bulk_verify(
    *, user: User, ids: Iterable[Any], verified: bool, comment: str | None = ""
) -> list[bulk.RowResult]:
    """Verify (or reject, with one reason for all) many suppliers, each through
    ``supplier_verify`` in a transaction of its own; each row's result says what the single
    decision would have said (another region's supplier: "not found"; one already decided
    so: "already verified"). Only region staff and administrators decide (RoleNotAllowed
    for the whole request); the ids are within ``bulk.MAX_IDS`` and a rejection needs its
    reason (ValidationError, nothing done)."""
    checked = bulk.check_ids(ids)
    comment = (comment or "").strip()
    check_free_text(comment, field="comment")
    _check_may_verify(user)
    if not verified and not comment:
        raise ValidationError({"comment": _("Say why the supplier is rejected.")})
    names = dict(suppliers_visible_to(user).filter(pk__in=checked).values_list("pk", "name"))

    def act(pk: int) -> bulk.RowResult:
        supplier = supplier_verify(supplier_id=pk, user=user, verified=verified, comment=comment)
        return bulk.RowResult(
            pk,
            bulk.DONE,
            _("Done: the supplier is now %(status)s.")
            % {"status": supplier.get_verification_status_display()},
            name=supplier.name,
            status=supplier.verification_status,
            status_display=supplier.get_verification_status_display(),
        )

    return bulk.run_each(checked, act, names=names)


OFFER_FIELDS = (
    "name",
    "description",
    "okpd2",
    "import_substitution",
    "replaces",
    "gisp_number",
    "capacity_per_year",
    "unit",
    "unit_price",
    "demand",
)


def roadmap_takes_offers(roadmap: Roadmap, *, field: str = "roadmap") -> None:
    """A completed roadmap takes no new offers (nor offers moved to it): ValidationError on
    ``field``. The form, the API and the product-list import all come through here."""
    if roadmap.status == RoadmapStatus.COMPLETED:
        raise ValidationError(
            {
                field: _(
                    "The roadmap “%(roadmap)s” is completed: it takes no new offers. Choose "
                    "an active roadmap of your region."
                )
                % {"roadmap": roadmap.title}
            }
        )


def offer_supplier(*, user: Actor, supplier_id: int | None = None) -> Supplier:
    """The supplier an offer ``user`` adds belongs to: a member's own (naming another is a
    ValidationError on ``supplier``), the named one for an administrator (who must name one).
    Other roles add no offers (RoleNotAllowed: 403)."""
    require(user, "offer.create", message=_("Only a supplier's members add offers."))
    scope = scope_of(user)
    if scope.is_admin:
        if supplier_id is None:
            raise ValidationError({"supplier": _("Name the supplier the offer belongs to.")})
        return suppliers_visible_to(user).get(pk=supplier_id)
    if supplier_id is not None and supplier_id != scope.supplier_id:
        raise ValidationError({"supplier": _("You add offers for your own organisation.")})
    return suppliers_visible_to(user).get()  # a member sees its own supplier only


def offer_create(
    *, user: Actor, roadmap: Roadmap, supplier_id: int | None = None, **fields: Any
) -> Offer:
    """A supplier's member adds an offer to a roadmap of the supplier's region, as a draft;
    a completed roadmap takes none. The supplier is the member's own (``offer_supplier``);
    an administrator names it by ``supplier_id``."""
    supplier = offer_supplier(user=user, supplier_id=supplier_id)
    roadmap_takes_offers(roadmap)
    if roadmap.region_id != supplier.region_id:
        raise ValidationError(
            {
                "roadmap": _("Choose a roadmap of your region (%(region)s).")
                % {"region": supplier.region}
            }
        )
    offer = Offer(supplier=supplier, roadmap=roadmap, status=OfferStatus.DRAFT, **fields)
    offer.full_clean()
    offer.save()
    return offer


def offer_update(*, offer: Offer, user: Actor, **fields: Any) -> Offer:
    """The supplier's members (and administrators) edit an offer, only as a draft; later it
    changes only through the pipeline."""
    _check_offer_author(offer=offer, user=user)
    if offer.status != OfferStatus.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be edited; this offer is %(status)s.")
            % {"status": offer.get_status_display()},
            current=offer.status,
        )
    roadmap = fields.get("roadmap")
    if roadmap is not None and roadmap.pk != offer.roadmap_id:
        roadmap_takes_offers(roadmap)
    if roadmap is not None and roadmap.region_id != offer.supplier.region_id:
        raise ValidationError(
            {
                "roadmap": _("Choose a roadmap of your region (%(region)s).")
                % {"region": offer.supplier.region}
            }
        )
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.full_clean()
    updated = Offer.objects.filter(pk=offer.pk, status=OfferStatus.DRAFT).update(
        **fields, updated=timezone.now()
    )
    if not updated:
        raise TransitionNotAllowed(current=offer.status)
    return offer


def offer_transition_system(
    *, offer_id: int, action: str, comment: str = ""
) -> OfferTransition | None:
    """A transition the portal makes by itself (e.g. exclusion when a certificate lapses)."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        step = pipeline.find(action, offer.status)
        if step is None:
            return None
        history = _apply(offer=offer, step=step, user=None, comment=comment, data={})
    return history


def _check_offer_author(*, offer: Offer, user: Actor) -> None:
    require(
        user, "offer.update", offer, message=_("Only the supplier's members change its offers.")
    )


def offer_attachment_add(*, offer_id: int, user: User, upload: File) -> OfferAttachment:
    """A supplier's member attaches a PDF datasheet to a draft offer.

    The content must be a PDF (it starts with ``%PDF-``), not empty and within
    ``MAX_UPLOAD_BYTES``; it is stored under a server-generated name.
    """
    offer = offers_visible_to(user).get(pk=offer_id)
    _check_offer_author(offer=offer, user=user)
    if not offer.is_editable:
        raise TransitionNotAllowed(
            _("Attachments change only while the offer is a draft; it is %(status)s.")
            % {"status": offer.get_status_display()},
            current=offer.status,
        )
    validate_pdf_upload(upload)
    original_name = pdf_stored_name(upload.name, default="datasheet.pdf")
    attachment = OfferAttachment(
        offer=offer, original_name=original_name, size=upload.size, uploaded_by=user
    )
    attachment.file.save(original_name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def offer_attachment_delete(*, attachment_id: int, user: Actor) -> Offer:
    """A supplier's member removes an attachment while the offer is a draft."""
    attachment = OfferAttachment.objects.select_related("offer").get(
        pk=attachment_id, offer__in=offers_visible_to(user)
    )
    offer = attachment.offer
    _check_offer_author(offer=offer, user=user)
    if not offer.is_editable:
        raise TransitionNotAllowed(
            _("Attachments change only while the offer is a draft; it is %(status)s.")
            % {"status": offer.get_status_display()},
            current=offer.status,
        )
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.delete(save=False))
    return offer
