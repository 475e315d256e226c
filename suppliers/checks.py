"""Start-up checks of the offer pipeline: every guard, record and input a row of
``suppliers.pipeline`` awaits was attached by the app above that owns it."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from .pipeline import OFFERS


@register()
def pipeline_attached(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return [
        Error(
            f"{missing} is declared but nobody attached it.",
            hint="Attach it from the owning app's ready() (certification.pipeline).",
            id="suppliers.E001",
        )
        for missing in OFFERS.unattached()
    ]
