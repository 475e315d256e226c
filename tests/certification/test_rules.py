"""The certificate rule in its two forms, the Python predicate (``rules.certificate_problem``)
and the filter (``rules.usable_q``), answering the same over certificates that cover every
case the rule tells apart; ``services.current_certificate`` reading the one it needs in one
query; and the rules of the review's stages, each on its own and through the API's answer."""

import datetime
from types import SimpleNamespace

import pytest

from certification import rules, services
from certification.models import Certificate, ProductTest
from suppliers.models import Offer
from tests.certification.conftest import make_offer
from tests.factories import CertificateFactory, OfferFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 6, 1)
THROUGH = ON + datetime.timedelta(days=30)


def days(n: int) -> datetime.date:
    return ON + datetime.timedelta(days=n)


@pytest.fixture
def certificates(world):
    """One offer of the group that requires body IGC, and a certificate for each case."""
    offer = OfferFactory(supplier=world.supplier, roadmap=world.gaz_roadmap, okpd2="28.14.11.000")

    def make(body=None, supplier=None, covers=True, **fields):
        fields.setdefault("issued_on", days(-100))
        fields.setdefault("valid_until", days(100))
        return CertificateFactory(
            body=body or world.body,
            supplier=supplier or world.supplier,
            offers=[offer] if covers else [],
            **fields,
        )

    made = {
        "good": make(),
        "ends_on_the_day": make(valid_until=ON),
        "issued_on_the_day": make(issued_on=ON),
        "ends_before_through": make(valid_until=days(10)),
        "lapsed_by_date": make(valid_until=days(-1)),
        "not_yet": make(issued_on=days(1)),
        "other_body": make(body=world.other_body),
        "other_supplier": make(supplier=world.other_supplier),
        "not_covering": make(covers=False),
        "suspended": make(status="suspended"),
        "revoked": make(status="revoked"),
        "expired_status": make(status="expired"),
        "renewed": make(valid_until=days(20)),
    }
    made["renewal"] = make(issued_on=days(10), valid_until=days(900), renews=made["renewed"])
    return SimpleNamespace(offer=offer, made=made, name={c.pk: n for n, c in made.items()})


def python_answers(certificates, facts, through):
    """Each certificate's problem by the Python predicate."""
    covering = set(certificates.offer.certificates.values_list("pk", flat=True))
    return {
        name: rules.certificate_problem(c, facts, on=ON, through=through, covers=c.pk in covering)
        for name, c in certificates.made.items()
    }


def sql_answers(certificates, facts, through):
    """The names of the certificates the filter lets through, read as the offer's."""
    found = Certificate.objects.filter(rules.usable_q(facts, on=ON, through=through)).filter(
        offers=certificates.offer
    )
    return {certificates.name[pk] for pk in found.values_list("pk", flat=True)}


REQUIRED_BODY_ON = {
    "good": None,
    "ends_on_the_day": None,
    "issued_on_the_day": None,
    "ends_before_through": None,
    "lapsed_by_date": rules.EXPIRED,
    "not_yet": rules.NOT_YET,
    "other_body": rules.OTHER_BODY,
    "other_supplier": rules.OTHER_SUPPLIER,
    "not_covering": rules.NOT_COVERING,
    "suspended": rules.NOT_VALID,
    "revoked": rules.NOT_VALID,
    "expired_status": rules.NOT_VALID,
    "renewed": None,
    "renewal": rules.NOT_YET,
}

CASES = {
    # (required body, through): each certificate's problem
    "required body, on the day": (True, None, REQUIRED_BODY_ON),
    "required body, through a deadline": (
        True,
        THROUGH,
        {
            **REQUIRED_BODY_ON,
            "ends_on_the_day": rules.EXPIRED,
            "ends_before_through": rules.EXPIRED,
            "renewed": rules.EXPIRED,
        },
    ),
    "no body required, on the day": (False, None, {**REQUIRED_BODY_ON, "other_body": None}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_python_rule_tells_each_case_apart(world, certificates, case):
    required, through, expected = CASES[case]
    facts = rules.OfferFacts(world.supplier.pk, world.body.pk if required else None)
    assert python_answers(certificates, facts, through) == expected


@pytest.mark.parametrize("case", CASES)
def test_the_sql_filter_lets_through_exactly_what_the_python_rule_accepts(
    world, certificates, case
):
    required, through, expected = CASES[case]
    facts = rules.OfferFacts(world.supplier.pk, world.body.pk if required else None)
    accepted = {name for name, problem in expected.items() if problem is None}
    assert sql_answers(certificates, facts, through) == accepted


def test_usable_and_usable_q_agree_on_the_offers_own_facts(certificates):
    offer = Offer.objects.select_related("roadmap__corporation").get(pk=certificates.offer.pk)
    facts = rules.OfferFacts.of(offer)
    covering = list(offer.certificates.order_by("id"))
    by_python = {certificates.name[c.pk] for c in rules.usable(covering, facts, on=ON)}
    assert by_python == sql_answers(certificates, facts, None)


def test_current_certificate_is_the_one_valid_longest_read_in_one_query_of_one_row(
    certificates, django_assert_num_queries
):
    offer = Offer.objects.select_related("roadmap__corporation").get(pk=certificates.offer.pk)
    with django_assert_num_queries(1) as captured:
        found = services.current_certificate(offer, on=days(15))
    # On day 15 the renewal is in force and valid longest (the renewed one is too).
    assert found == certificates.made["renewal"]
    assert captured.captured_queries[0]["sql"].endswith("LIMIT 1")


def test_current_certificate_is_none_without_a_usable_one(certificates, django_assert_num_queries):
    offer = Offer.objects.select_related("roadmap__corporation").get(pk=certificates.offer.pk)
    with django_assert_num_queries(1):
        found = services.current_certificate(offer, on=days(1000))
    assert found is None


def test_current_certificate_reads_nothing_where_no_certification_is_required(
    world, django_assert_num_queries
):
    offer = OfferFactory(supplier=world.supplier, roadmap=world.irao_roadmap)
    offer = Offer.objects.select_related("roadmap__corporation").get(pk=offer.pk)
    with django_assert_num_queries(0):
        found = services.current_certificate(offer, on=ON)
    assert found is None


# --- the review's stages -------------------------------------------------------------------


def requirement(pk, code):
    return SimpleNamespace(pk=pk, code=code)


def test_accepting_needs_every_outcome_and_none_not_met():
    one, two, three = requirement(1, "R-1"), requirement(2, "R-2"), requirement(3, "R-3")
    missing, not_met = rules.unsettled_requirements(
        [one, two, three], {1: "met", 2: "not_met", 3: ""}
    )
    assert ([r.code for r in missing], [r.code for r in not_met]) == (["R-3"], ["R-2"])


def test_accepting_with_every_outcome_met_or_not_applicable_is_settled():
    one, two = requirement(1, "R-1"), requirement(2, "R-2")
    assert rules.unsettled_requirements([one, two], {1: "met", 2: "not_applicable"}) == ([], [])


@pytest.mark.parametrize(
    ("findings", "capacity", "problems"),
    [
        ("Visited the plant.", True, []),
        ("  ", True, [rules.FINDINGS_MISSING]),
        ("Visited the plant.", False, [rules.CAPACITY_UNCONFIRMED]),
        (None, None, [rules.FINDINGS_MISSING, rules.CAPACITY_UNCONFIRMED]),
    ],
)
def test_readiness_needs_findings_and_confirmed_capacity(findings, capacity, problems):
    assert rules.readiness_problems(findings=findings, capacity_confirmed=capacity) == problems


@pytest.mark.parametrize(
    ("record", "problems"),
    [
        ({"kind": "bench", "result": "passed", "started_on": ON, "finished_on": ON}, {}),
        ({"kind": "bench", "result": "passed", "started_on": ON, "finished_on": None}, {}),
        (
            {"kind": "oven", "result": "won", "started_on": None, "finished_on": ON},
            {
                "kind": rules.UNKNOWN_KIND,
                "result": rules.UNKNOWN_RESULT,
                "started_on": rules.START_MISSING,
            },
        ),
        (
            {"kind": "bench", "result": "passed", "started_on": ON, "finished_on": days(-1)},
            {"finished_on": rules.FINISHED_BEFORE_START},
        ),
        (
            {
                "kind": "bench",
                "result": "failed",
                "started_on": ON,
                "finished_on": days(-1),
                "expected": "passed",
            },
            {"result": rules.WRONG_RESULT, "finished_on": rules.FINISHED_BEFORE_START},
        ),
    ],
)
def test_a_product_test_record_is_whole(record, problems):
    assert rules.product_test_problems(**record) == problems


def tried(kind, result):
    """A product test of ``kind`` with ``result`` (the rules read no more of it)."""
    return SimpleNamespace(kind=kind, result=result)


@pytest.mark.parametrize(
    ("tests", "answer"),
    [
        ([], (rules.NO_PASSED_TEST, [])),
        ([tried("bench", "passed")], None),
        ([tried("bench", "failed"), tried("bench", "passed")], None),
        (
            [tried("bench", "passed"), tried("pilot", "failed")],
            (rules.LATEST_TEST_FAILED, [tried("pilot", "failed")]),
        ),
    ],
)
def test_passing_needs_the_latest_test_of_each_type_passed(tests, answer):
    assert rules.passing_tests_problem(tests) == answer


@pytest.mark.parametrize(
    ("tests", "answer"),
    [
        ([], rules.NO_FAILED_TEST),
        ([tried("bench", "passed")], rules.NO_FAILED_TEST),
        ([tried("bench", "failed"), tried("bench", "passed")], None),
    ],
)
def test_failing_needs_a_failed_test_on_record(tests, answer):
    assert rules.failing_tests_problem(tests) == answer


def transition(api, offer, action, data):
    body = {"action": action, "data": data, "comment": "Leaks at the seal."}
    return api.post(f"/api/v1/offers/{offer.pk}/transition/", body, format="json")


@pytest.mark.parametrize(
    ("action", "test_data", "message"),
    [
        (
            "pass_tests",
            {"result": "failed", "finished_on": "2026-01-01"},
            "The test result must be “passed” for this action.",
        ),
        ("pass_tests", {"finished_on": "2026-01-01"}, "A test cannot finish before it starts."),
        ("fail_tests", {"result": "passed"}, "The test result must be “failed” for this action."),
    ],
)
def test_a_decisions_test_is_refused_in_the_stage_inputs_words(
    world, api_as, action, test_data, message
):
    offer = make_offer(world, status="readiness_confirmed")
    data = {"test": {"kind": "bench", "started_on": "2026-01-05", **test_data}}
    response = transition(api_as(world.gaz_reviewer), offer, action, data)
    assert (response.status_code, response.json()) == (400, {"data": [message]})
    assert not ProductTest.objects.filter(offer=offer).exists()


def test_a_recorded_test_ending_before_it_starts_names_its_field(world, api_as):
    offer = make_offer(world, status="readiness_confirmed")
    response = api_as(world.gaz_reviewer).post(
        "/api/v1/tests/",
        {
            "offer": offer.pk,
            "kind": "bench",
            "started_on": "2026-01-05",
            "finished_on": "2026-01-01",
            "result": "passed",
        },
        format="json",
    )
    assert (response.status_code, response.json()) == (
        400,
        {"finished_on": ["A test cannot finish before it starts."]},
    )
    assert not ProductTest.objects.filter(offer=offer).exists()


def test_accepting_without_outcomes_names_the_missing_requirements(world, api_as):
    offer = make_offer(world, status="forwarded")
    response = transition(api_as(world.gaz_reviewer), offer, "accept", {})
    assert (response.status_code, response.json()) == (
        400,
        {"data": ["The requirements check is missing: give an outcome for STO-1, STO-2."]},
    )


def test_accepting_with_a_requirement_not_met_names_it(world, api_as):
    offer = make_offer(world, status="forwarded")
    rows = [
        {"requirement": world.req_gaz.pk, "outcome": "not_met"},
        {"requirement": world.req_gaz_all.pk, "outcome": "met"},
    ]
    response = transition(api_as(world.gaz_reviewer), offer, "accept", {"requirements": rows})
    assert (response.status_code, response.json()) == (
        400,
        {"data": ["Requirements not met: STO-1. Reject the offer instead."]},
    )
