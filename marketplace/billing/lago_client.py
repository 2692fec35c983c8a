"""Lago through lago-python-client: the only module that imports it."""

from __future__ import annotations

from typing import Protocol, cast

import httpx
from lago_python_client.client import Client
from lago_python_client.exceptions import LagoApiError
from lago_python_client.models import Customer, Subscription
from lago_python_client.models.customer import CustomerResponse
from lago_python_client.models.subscription import SubscriptionResponse

TIMEOUT = httpx.Timeout(5.0)


# The client's methods declare their `self` as a protocol (`_ClientMixin`) that asks for a
# `PARENT_API_RESOURCE` the clients don't define, so mypy refuses every call on them. These say
# what this module calls, as the library implements it.
class _Customers(Protocol):
    def create(
        self, input_object: Customer, timeout: httpx.Timeout | None
    ) -> CustomerResponse | None: ...


class _Subscriptions(Protocol):
    def create(
        self, input_object: Subscription, timeout: httpx.Timeout | None
    ) -> SubscriptionResponse | None: ...

    def destroy(self, resource_id: str, *, timeout: httpx.Timeout | None) -> object: ...


class BillingError(Exception):
    """Lago could not be reached or refused the call."""


class LagoBilling:
    def __init__(self, api_url: str, api_key: str) -> None:
        # The client joins "api/v1/" to the URL, so it must end with a slash.
        client = Client(api_key=api_key, api_url=api_url.rstrip("/") + "/", max_retries=0)
        self._customers = cast(_Customers, client.customers)
        self._subscriptions = cast(_Subscriptions, client.subscriptions)

    def subscribe(self, user_id: str, external_id: str, plan_code: str) -> str:
        """Upsert the customer (external id = user id) and subscribe them; return the Lago id."""
        try:
            self._customers.create(Customer(external_id=user_id), timeout=TIMEOUT)
            created = self._subscriptions.create(
                Subscription(
                    external_customer_id=user_id, external_id=external_id, plan_code=plan_code
                ),
                timeout=TIMEOUT,
            )
        except (LagoApiError, httpx.HTTPError) as error:
            raise BillingError(_describe(error)) from error
        if created is None:
            raise BillingError("Lago answered without a subscription")
        return created.lago_id

    def terminate(self, external_id: str) -> None:
        """Terminate the subscription `external_id`; one Lago no longer knows is done already."""
        try:
            self._subscriptions.destroy(external_id, timeout=TIMEOUT)
        except LagoApiError as error:
            if getattr(error, "status_code", None) == 404:
                return
            raise BillingError(_describe(error)) from error
        except httpx.HTTPError as error:
            raise BillingError(_describe(error)) from error


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.HTTPError):
        return f"Lago unreachable: {type(error).__name__}: {error}"[:500]
    return f"Lago refused: {error}"[:500]
