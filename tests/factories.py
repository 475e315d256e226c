"""factory_boy factories for every model that tests build."""

import datetime
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from certification.models import Certificate, Requirement
from procurement.models import Contract, Tender
from roadmap_portal.accounts.models import Profile
from roadmap_portal.models import (
    CertificationBody,
    Corporation,
    Demand,
    Region,
    Roadmap,
    RoadmapTarget,
)
from suppliers.models import Offer, Supplier
from suppliers.validators import inn_with_checksum, ogrn_with_checksum

_inn_stems = itertools.count(500_000_001)
# Every ISO-like code the model accepts (RU- and two or three letters): 18,252 regions a
# test process, where two letters alone ran out in a long run of one worker.
_region_codes = (
    f"RU-{''.join(letters)}"
    for size in (2, 3)
    for letters in itertools.product("ABCDEFGHIJKLMNOPQRSTUVWXYZ", repeat=size)
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.LazyFunction(lambda: next(_region_codes))
    name = factory.Sequence(lambda n: f"Region {n}")


class CertificationBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationBody

    name = factory.Sequence(lambda n: f"Certification body {n}")
    short_name = factory.Sequence(lambda n: f"CB-{n}")


class CorporationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Corporation

    name = factory.Sequence(lambda n: f"Corporation {n} PJSC")
    short_name = factory.Sequence(lambda n: f"Corp {n}")
    inn = factory.LazyFunction(lambda: inn_with_checksum(next(_inn_stems)))
    parent = None
    required_body = None


class RoadmapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roadmap

    region = factory.SubFactory(RegionFactory)
    corporation = factory.SubFactory(CorporationFactory)
    title = factory.Sequence(lambda n: f"Roadmap {n}")
    signed_on = datetime.date(2018, 2, 15)
    start_year = 2018
    end_year = 2030
    status = "active"


class RoadmapTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoadmapTarget

    roadmap = factory.SubFactory(RoadmapFactory)
    year = 2020
    amount = Decimal("1000000.00")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n} LLC")
    inn = factory.LazyFunction(lambda: inn_with_checksum(next(_inn_stems)))
    ogrn = factory.LazyFunction(lambda: ogrn_with_checksum(102700000000 + next(_inn_stems)))
    region = factory.SubFactory(RegionFactory)
    kind = "manufacturer"
    verification_status = "verified"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pass-12345")

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


def user_with_role(role, *, username=None, language="en", **scope):
    """A user with a profile: ``user_with_role("reviewer", corporation=group)``."""
    user = UserFactory(**({"username": username} if username else {}))
    Profile.objects.update_or_create(
        user=user, defaults={"role": role, "language": language, **scope}
    )
    user.refresh_from_db()
    return user


def admin_user(username="root"):
    user = UserFactory(username=username, is_superuser=True, is_staff=True)
    return user


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    supplier = factory.SubFactory(SupplierFactory)
    roadmap = factory.SubFactory(RoadmapFactory, region=factory.SelfAttribute("..supplier.region"))
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A regional product"
    okpd2 = "27.11.22.000"
    import_substitution = False
    capacity_per_year = Decimal("100")
    unit = "pcs"
    unit_price = Decimal("1500.00")
    status = "draft"


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    corporation = factory.SubFactory(CorporationFactory)
    code = factory.Sequence(lambda n: f"REQ-{n}")
    title = factory.Sequence(lambda n: f"Requirement {n}")
    categories = factory.LazyFunction(list)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    number = factory.Sequence(lambda n: f"CERT-{n:05d}")
    body = factory.SubFactory(CertificationBodyFactory)
    supplier = factory.SubFactory(SupplierFactory)
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    status = "valid"

    @factory.post_generation
    def offers(self, create, extracted, **kwargs):
        if create and extracted:
            self.offers.add(*extracted)


class DemandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Demand

    customer = factory.SubFactory(CorporationFactory)
    title = factory.Sequence(lambda n: f"Demand {n}")
    category = "27.11"
    quantity = Decimal("10")
    unit = "pcs"


class TenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tender

    customer = factory.SubFactory(CorporationFactory)
    number = factory.Sequence(lambda n: f"T-{n:06d}")
    title = factory.Sequence(lambda n: f"Tender {n}")
    categories = factory.LazyFunction(lambda: ["27.11"])
    published_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=5))
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    estimated_value = Decimal("1000000.00")
    status = "open"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    supplier = factory.SubFactory(SupplierFactory)
    customer = factory.SubFactory(CorporationFactory)
    amount = Decimal("1000000.00")
    signed_on = datetime.date(2020, 6, 1)
