"""The error answers every operation can give, added to the OpenAPI schema in one place so
that the contract lists them all and clients can rely on their shape."""

from .examples import ERROR_EXAMPLES

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, for people."}},
    "required": ["detail"],
}

ERROR_COMPONENTS = {
    "ErrorDetail": DETAIL,
    "ValidationErrors": {
        "description": (
            "Field errors: each key names a field (or `non_field_errors`, or a query "
            "parameter) and holds its messages; the import adds `errors` with "
            "`row`, `field`, `message`. A few checks answer a plain list of messages."
        ),
        "oneOf": [
            {"type": "object", "additionalProperties": {}},
            {"type": "array", "items": {"type": "string"}},
        ],
    },
    "Conflict": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "status": {"type": "string", "description": "The object's current status."},
        },
        "required": ["detail"],
    },
}


def _json(component):
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}


STANDARD = {
    "400": (
        "BadRequest",
        "Invalid input: the body says which field or parameter and why.",
        "ValidationErrors",
    ),
    "401": (
        "Unauthorized",
        "No credentials, or a wrong, expired or revoked token or key.",
        "ErrorDetail",
    ),
    "403": ("Forbidden", "Your role or key may not do this.", "ErrorDetail"),
    "404": (
        "NotFound",
        "No such object, or outside your scope (also a page past the end).",
        "ErrorDetail",
    ),
    "409": ("Conflict", "Not allowed from the object's current state.", "Conflict"),
    "429": (
        "TooManyRequests",
        "Over the request budget: wait `Retry-After` seconds.",
        "ErrorDetail",
    ),
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer"},
    }
}
WRITES = {"post", "put", "patch", "delete"}
# gunicorn refuses a request line over 4,094 bytes before the portal sees it (its own page).
URI_TOO_LONG = {
    "description": "The URL is longer than the server accepts (4,094 bytes of request line).",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _codes(method, operation):
    codes = {"404", "429"}
    if operation.get("security") not in ([{}], []):
        codes |= {"401", "403"}
    takes_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if takes_query or operation.get("requestBody"):
        codes.add("400")
    if method in WRITES:
        codes |= {"400", "409"}
    return sorted(codes)


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document 400/401/403/404/409/429 with their
    bodies on every operation that can give them, keeping what a view documented itself."""
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in ERROR_COMPONENTS.items():
        schemas.setdefault(name, schema)
    shared = components.setdefault("responses", {})
    for code, (name, description, component) in STANDARD.items():
        content = _json(component)
        content["application/json"]["example"] = ERROR_EXAMPLES[name]
        shared[name] = {"description": description, "content": content}
        if code == "429":
            shared[name]["headers"] = RETRY_AFTER
    shared["UriTooLong"] = URI_TOO_LONG
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("414", {"$ref": "#/components/responses/UriTooLong"})
            for code in _codes(method, operation):
                name, _description, component = STANDARD[code]
                if code not in responses:
                    responses[code] = {"$ref": f"#/components/responses/{name}"}
                else:
                    responses[code].setdefault("content", _json(component))
    return result
