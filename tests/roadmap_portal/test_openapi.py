def _schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_every_operation_documents_its_error_answers():
    schema = _schema()
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        expected = {"404", "429"}
        if operation.get("security") not in ([{}], []):
            expected |= {"401", "403"}
        if method != "get":
            expected |= {"400", "409"}
        assert expected <= codes, (method, path, sorted(codes))
    throttled = schema["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in throttled["headers"]


def _as_json_schema(node, components, depth=0):
    """OpenAPI 3.0 schema -> JSON Schema: references resolved, ``nullable`` as a null type."""
    assert depth < 30, "schema nests too deep"
    if isinstance(node, list):
        return [_as_json_schema(n, components, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _as_json_schema(components[name], components, depth + 1)
    converted = {
        key: _as_json_schema(value, components, depth + 1)
        for key, value in node.items()
        if key not in {"nullable", "readOnly", "writeOnly", "example", "format"}
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_example_matches_its_schema():
    import jsonschema

    schema = _schema()
    components = schema["components"]["schemas"]
    checked = 0

    def check(media, where):
        nonlocal checked
        if "schema" not in media:
            return
        target = _as_json_schema(media["schema"], components)
        examples = [e["value"] for e in media.get("examples", {}).values()]
        if "example" in media:
            examples.append(media["example"])
        for example in examples:
            jsonschema.validate(example, target)
            checked += 1

    for path, method, operation in _operations(schema):
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            check(media, (method, path, "request", media_type))
        for code, response in operation["responses"].items():
            for media_type, media in response.get("content", {}).items():
                check(media, (method, path, code, media_type))
    for name, response in schema["components"]["responses"].items():
        for media in response["content"].values():
            check(media, ("response", name))
    assert checked >= 20, checked
