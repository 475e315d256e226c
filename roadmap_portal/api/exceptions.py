"""The API's error answers: 400 field errors, 403 role, 404 scope, 409 state."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict with the current state."
    default_code = "conflict"


def django_validation_detail(exc):
    if hasattr(exc, "message_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, TransitionNotAllowed):
        body = {"detail": str(exc.message)}
        if exc.current:
            body["status"] = str(exc.current)
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RoleNotAllowed):
        exc = exceptions.PermissionDenied(str(exc.message))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_detail(exc))
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        # Not the model's name ("No Tender matches..."): a 404 says nothing about what is there.
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        exc.detail = {
            field: messages if isinstance(messages, list | dict) else [messages]
            for field, messages in exc.detail.items()
        }
    return drf_exception_handler(exc, context)
