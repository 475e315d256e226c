"""Examples shown in the OpenAPI schema and Swagger UI for the calls partners make most."""

from drf_spectacular.utils import OpenApiExample

TRANSITION_EXAMPLES = [
    OpenApiExample("Submit a draft", value={"action": "submit"}, request_only=True),
    OpenApiExample(
        "Return to the supplier (a comment is required)",
        value={"action": "return", "comment": "Attach the datasheet and the GISP number."},
        request_only=True,
    ),
    OpenApiExample(
        "Accept after the requirements check",
        value={
            "action": "accept",
            "data": {
                "requirements": [
                    {"requirement": 3, "outcome": "met"},
                    {"requirement": 4, "outcome": "not_applicable"},
                ]
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Confirm readiness for mass production",
        value={
            "action": "confirm_readiness",
            "data": {
                "findings": "Serial line audited, 12,000 units a year.",
                "capacity_confirmed": True,
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Tests passed",
        value={
            "action": "pass_tests",
            "data": {
                "test": {"kind": "bench", "started_on": "2026-10-01", "finished_on": "2026-10-20"}
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "Certify with a certificate of compliance",
        value={"action": "certify", "data": {"certificate": 12}},
        request_only=True,
    ),
    OpenApiExample(
        "Exclude from the register (a reason is required)",
        value={"action": "exclude", "comment": "Certificate revoked by the body."},
        request_only=True,
    ),
]


def _year(year, *, reported=None, target=None):
    source = "Administration of Tomsk Oblast, cooperation results" if reported else ""
    return {
        "year": year,
        "amount": reported,
        "target": target,
        "source": "reported" if reported else None,
        "fulfilment": None,
        "contracts": None,
        "reported": reported,
        "reported_source": source,
    }


VOLUME_EXAMPLE = OpenApiExample(
    "Tomsk Oblast and Inter RAO: 2014-2017, then the 2018-2022 roadmap (first years shown)",
    value={
        "roadmaps": [1, 2],
        "years": [
            _year(2014, reported="150000000.00"),
            _year(2015),
            _year(2016),
            _year(2017, reported="1347000000.00"),
            _year(2018, target="1400000000.00"),
        ],
        "growth_factor": "8.98",
    },
    response_only=True,
)

REPORTED_VOLUME_EXAMPLE = OpenApiExample(
    "The 2014 figure from the regional administration",
    value={
        "year": 2014,
        "amount": "150000000.00",
        "source": "Administration of Tomsk Oblast, cooperation results 2014",
    },
    request_only=True,
)

REPORT_EXAMPLES = [
    OpenApiExample("A roadmap's year", value={"roadmap": 2, "year": 2017}, request_only=True),
    OpenApiExample("A region's year", value={"region": "RU-TOM", "year": 2025}, request_only=True),
]

ELIGIBILITY_EXAMPLE = OpenApiExample(
    "Eligible except for the certificate's term",
    value={
        "eligible": False,
        "checks": [
            {"rule": "supplier_verified", "passed": True, "detail": "Verified on 2026-03-02."},
            {
                "rule": "roadmap_active",
                "passed": True,
                "detail": "Kaluga Region and Gazprom, 2017-2025.",
            },
            {
                "rule": "registered_offer",
                "passed": True,
                "detail": "Ball valves DN 300 (28.14.13.131).",
            },
            {
                "rule": "certificate_valid",
                "passed": False,
                "detail": "Certificate IGS.RU.1101.001 ends on 2026-12-10, before the deadline 2026-12-20.",
            },
            {"rule": "tender_open", "passed": True, "detail": "Open until 2026-12-20."},
        ],
    },
    response_only=True,
)

IMPORT_ERRORS_EXAMPLE = OpenApiExample(
    "Rows with errors: nothing is imported",
    value={
        "errors": [
            {
                "row": 3,
                "column": "C",
                "field": "okpd2",
                "message": "“27.1” is not an OKPD2 code.",
            },
            {
                "row": 7,
                "column": "I",
                "field": "unit_price",
                "message": "Give a number of rubles, e.g. 1500,00.",
            },
        ]
    },
    response_only=True,
    status_codes=["400"],
)

WEBHOOK_EXAMPLE = OpenApiExample(
    "Follow tenders and the register",
    value={
        "url": "https://partner.example.org/hooks/roadmap",
        "events": ["tender.opened", "tender.awarded", "offer.registered", "offer.excluded"],
    },
    request_only=True,
)

REDELIVER_SINCE_EXAMPLE = OpenApiExample(
    "Everything since the receiver went down",
    value={"since": "2026-11-22T02:40:00+03:00"},
    request_only=True,
)

REDELIVERED_EXAMPLE = OpenApiExample(
    "Queued to be sent again",
    value={"redelivered": 17},
    response_only=True,
    status_codes=["202"],
)

ERROR_EXAMPLES = {
    "BadRequest": {"year": ["Give a year between 1990 and 2100."]},
    "Unauthorized": {"detail": "Invalid API key."},
    "Forbidden": {"detail": "Your role may not take this action."},
    "NotFound": {"detail": "Not found."},
    "Conflict": {"detail": "“forward” is not allowed from “draft”.", "status": "draft"},
    "TooManyRequests": {"detail": "Request was throttled. Expected available in 12 seconds."},
}
