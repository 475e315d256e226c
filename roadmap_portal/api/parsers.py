"""The API's JSON parser: a body with a NUL character, an over-long value or a nesting
past the limits is a 400 field error (``roadmap_portal.input_limits``), never a server
error deeper in."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from roadmap_portal.input_limits import json_problems


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON parse error - nested too deeply.")) from exc
        errors = {}
        for field, message in json_problems(data):
            errors.setdefault(field, [message])
        if errors:
            raise exceptions.ValidationError(errors)
        return data
