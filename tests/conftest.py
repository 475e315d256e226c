import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """``api_as(user)``: the API client authenticated as ``user`` (token-free, forced)."""

    def login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login
