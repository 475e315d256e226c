"""The review's part of the offer pipeline: certification attaches its guards, stage
records and inputs to the rows of ``suppliers.pipeline`` that await them (imported by
``CertificationConfig.ready``). ``suppliers`` knows nothing of this app; a row left
without what it awaits stops ``manage.py check`` (``suppliers.checks``)."""

from __future__ import annotations

from suppliers.choices import OfferStatus as S
from suppliers.pipeline import attach

from . import services
from .inputs import (
    CertificationInput,
    FailedTestsInput,
    PassedTestsInput,
    ReadinessInput,
    RequirementsCheckInput,
    RequirementsOutcomesInput,
)

attach("accept", record=services.record_requirements_check, input=RequirementsCheckInput)
attach(
    "reject",
    S.FORWARDED,
    record=services.record_requirements_check_optional,
    input=RequirementsOutcomesInput,
)
attach("confirm_readiness", record=services.record_readiness, input=ReadinessInput)
attach("pass_tests", record=services.record_tests_passed, input=PassedTestsInput)
attach("fail_tests", record=services.record_tests_failed, input=FailedTestsInput)
attach(
    "certify",
    guard=services.guard_certification_required,
    record=services.record_certification,
    input=CertificationInput,
)
attach("register", S.TESTED, guard=services.guard_no_certification_required)
attach("register", record=services.record_register_inclusion)
attach("exclude", record=services.record_register_exclusion)
attach("reinstate", record=services.record_register_inclusion)
