"""The OpenAPI form of a transition's ``data``: any of the inputs the pipeline's rows
declare (``suppliers.pipeline``; the review's inputs come from ``certification.inputs``),
read when the schema is built, after every app attached its inputs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from ..pipeline import OFFERS


class TransitionDataFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "suppliers.api.serializers.TransitionDataField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        takers: dict[type, list[str]] = {}
        for step in OFFERS:
            if step.input is not None:
                where = step.action
                if len(OFFERS.of_action(step.action)) > 1:
                    where = f"{step.action} (from {'/'.join(step.sources)})"
                takers.setdefault(step.input, []).append(where)
        refs = {cls: auto_schema.resolve_serializer(cls, direction).ref for cls in takers}
        mapping = "; ".join(
            f"{', '.join(actions)}: {refs[cls]['$ref'].rsplit('/', 1)[-1]}"
            for cls, actions in takers.items()
        )
        intro = gettext(
            "The stage's record where it has one: requirement outcomes, readiness findings, "
            "test result or certificate id."
        )
        return {
            "type": "object",
            "anyOf": list(refs.values()),
            "description": f"{intro} {mapping}; the other actions take none.",
        }
