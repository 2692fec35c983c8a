"""Local fake Stripe and Lago HTTP servers the real client libraries talk to, in tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_SECRET = "whsec_test_secret"
# The tax the fake Stripe Tax computes on what a session charges after its coupon.
TAX_PERCENT = 10


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Server(ABC):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        handler = self._handler_class()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self) -> None:
                self._answer(*server.route("GET", self.path, b"", self.headers))

            def do_POST(self) -> None:
                self._answer(*server.route("POST", self.path, self._body(), self.headers))

            def do_DELETE(self) -> None:
                self._answer(*server.route("DELETE", self.path, self._body(), self.headers))

        return Handler

    @abstractmethod
    def route(self, method, path, body, headers) -> tuple[int, dict]:
        """Answer one request: (status, JSON body)."""


class FakeStripe(_Server):
    """Checkout Sessions, coupons and subscriptions, in memory; `mode` makes it fail or hang."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.recurring_lines: dict[str, list[tuple[dict[str, Any], int, int]]] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.coupons: dict[str, dict[str, Any]] = {}
        # The PaymentIntent that paid each invoice (a subscription's first one, and renewals).
        self.invoice_intents: dict[str, str] = {}
        # What each renewal's PaymentIntent charged, in cents (refunds are checked against it).
        self.renewal_charges: dict[str, int] = {}
        self.mode: str | None = None  # None, "error" or "timeout"
        self.delay = 0.0

    def created_sessions(self) -> list[dict[str, str]]:
        return [form for method, path, form, _ in self.requests if path == "/v1/checkout/sessions"]

    def subscription_calls(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, subscription id, form) of every request about a subscription."""
        return [
            (method, path.rsplit("/", 1)[1], form)
            for method, path, form, _ in self.requests
            if path.startswith("/v1/subscriptions/")
        ]

    def item_calls(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, path, form or query) of every request about subscription items."""
        return [
            (method, path, form)
            for method, path, form, _ in self.requests
            if path.startswith("/v1/subscription_items")
        ]

    def items_of(self, subscription_id: str) -> dict[str, str]:
        """The add-on id of each item still on a subscription, by item id."""
        return {
            item["id"]: item["price"]["product"]["metadata"].get("add_on_id")
            for item in self.subscriptions[subscription_id]["items"]
        }

    def route(self, method, path, body, headers):
        split = urlsplit(path)
        # stripe-python sends the parameters of GET and DELETE in the query string.
        raw = body.decode() if method == "POST" else split.query
        form = dict(parse_qsl(raw, keep_blank_values=True))
        path = split.path
        with self.lock:
            self.requests.append((method, path, form, dict(headers)))
        if self.mode == "timeout":
            time.sleep(3)
        if self.delay:
            time.sleep(self.delay)
        if self.mode == "error":
            return 500, {"error": {"type": "api_error", "message": "Something went wrong."}}
        key = headers.get("Idempotency-Key")
        with self.lock:
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            answer = self._route(method, path, form)
            if method == "POST" and key:
                self.idempotent[key] = answer
            return answer

    def _route(self, method, path, form):
        if method == "POST" and path == "/v1/coupons":
            coupon_id = f"co_{uuid.uuid4().hex[:14]}"
            self.coupons[coupon_id] = {
                "id": coupon_id,
                "object": "coupon",
                "amount_off": int(form["amount_off"]),
                "currency": form["currency"],
                "duration": form["duration"],
                "max_redemptions": int(form.get("max_redemptions") or 0) or None,
                "name": form.get("name"),
                "valid": True,
            }
            return 200, self.coupons[coupon_id]
        if method == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_{uuid.uuid4().hex}"
            metadata = {
                key[len("metadata[") : -1]: value
                for key, value in form.items()
                if key.startswith("metadata[")
            }
            amount = 0
            index = 0
            recurring_lines = []  # (product, unit amount, quantity) of each recurring line
            while f"line_items[{index}][quantity]" in form:
                prefix = f"line_items[{index}]"
                unit = int(form[f"{prefix}[price_data][unit_amount]"])
                quantity = int(form[f"{prefix}[quantity]"])
                amount += unit * quantity
                if f"{prefix}[price_data][recurring][interval]" in form:
                    product_data = f"{prefix}[price_data][product_data]"
                    product = {
                        "id": f"prod_{uuid.uuid4().hex[:14]}",
                        "object": "product",
                        "name": form[f"{product_data}[name]"],
                        "metadata": {
                            key[len(f"{product_data}[metadata][") : -1]: value
                            for key, value in form.items()
                            if key.startswith(f"{product_data}[metadata][")
                        },
                    }
                    recurring_lines.append((product, unit, quantity))
                index += 1
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "mode": form["mode"],
                "status": "open",
                "payment_status": "unpaid",
                "client_reference_id": form.get("client_reference_id"),
                "metadata": metadata,
                "amount_subtotal": amount,
                **self._totals(form, amount),
                "currency": "usd",
                "payment_intent": None,
                "subscription": None,
                "invoice": None,
                "success_url": form["success_url"],
                "cancel_url": form["cancel_url"],
                "expires_at": int(form.get("expires_at") or 0),
                "livemode": False,
            }
            self.sessions[session_id] = session
            self.recurring_lines[session_id] = recurring_lines
            return 200, session
        parts = path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) >= 4:
            session = self.sessions.get(parts[3])
            if session is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            if method == "GET":
                return 200, session
            if method == "POST" and parts[4:] == ["expire"]:
                if session["status"] != "open":
                    return 400, {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Only open Checkout Sessions can be expired.",
                        }
                    }
                session["status"] = "expired"
                return 200, session
        if parts[:2] == ["v1", "subscriptions"] and len(parts) == 3:
            subscription = self.subscriptions.get(parts[2])
            if subscription is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            if method == "GET":
                return 200, _public(subscription)
            if method == "DELETE":
                subscription["status"] = "canceled"
                return 200, _public(subscription)
            if method == "POST" and "cancel_at_period_end" in form:
                subscription["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
                return 200, _public(subscription)
        if parts[:2] == ["v1", "subscription_items"]:
            return self._items(method, parts[2:], form)
        if method == "POST" and path == "/v1/refunds":
            return self._refund(form)
        if method == "GET" and path == "/v1/invoice_payments":
            intent = self.invoice_intents.get(form.get("invoice", ""))
            payments = [] if intent is None else [_invoice_payment(form["invoice"], intent)]
            return 200, {"object": "list", "url": path, "has_more": False, "data": payments}
        return 404, {"error": {"type": "invalid_request_error", "message": f"no {path}"}}

    def _totals(self, form, subtotal: int) -> dict[str, Any]:
        """What the session charges: less its coupon, plus TAX_PERCENT when automatic tax is on
        (Stripe Tax on tax-exclusive prices)."""
        coupon = self.coupons.get(form.get("discounts[0][coupon]", ""))
        discount = min(coupon["amount_off"], subtotal) if coupon else 0
        taxed = form.get("automatic_tax[enabled]") == "true"
        tax = (subtotal - discount) * TAX_PERCENT // 100 if taxed else 0
        return {
            "amount_total": subtotal - discount + tax,
            "automatic_tax": {"enabled": taxed, "status": "complete" if taxed else None},
            "total_details": {"amount_discount": discount, "amount_shipping": 0, "amount_tax": tax},
        }

    def _refund(self, form):
        intent = form.get("payment_intent", "")
        paid = {  # the amount before any coupon: enough to refuse refunding more than that
            session["payment_intent"] or self.invoice_intents[session["invoice"]]: (
                session["amount_subtotal"]
            )
            for session in self.sessions.values()
            if session["payment_intent"] or session["invoice"]
        } | self.renewal_charges
        if intent not in paid:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
        already = sum(r["amount"] for r in self.refunds if r["payment_intent"] == intent)
        amount = int(form.get("amount") or paid[intent] - already)
        if already + amount > paid[intent]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Refund amount is greater than unrefunded amount on charge.",
                }
            }
        refund = {
            "id": f"re_{uuid.uuid4().hex[:14]}",
            "object": "refund",
            "amount": amount,
            "payment_intent": intent,
            "status": "succeeded",
        }
        self.refunds.append(refund)
        return 200, refund

    def _items(self, method, rest, form):
        """List (with the product expanded, as asked) and delete subscription items."""
        missing = 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
        if method == "GET" and not rest:
            subscription = self.subscriptions.get(form.get("subscription", ""))
            if subscription is None:
                return missing
            return 200, {
                "object": "list",
                "url": "/v1/subscription_items",
                "has_more": False,
                "data": subscription["items"],
            }
        if method == "DELETE" and len(rest) == 1:
            for subscription in self.subscriptions.values():
                for item in subscription["items"]:
                    if item["id"] != rest[0]:
                        continue
                    if subscription["status"] == "canceled" or len(subscription["items"]) == 1:
                        return 400, {
                            "error": {
                                "type": "invalid_request_error",
                                "message": "A subscription must have at least one active plan.",
                            }
                        }
                    subscription["items"].remove(item)
                    return 200, {"id": item["id"], "object": "subscription_item", "deleted": True}
            return missing
        return 404, {"error": {"type": "invalid_request_error", "message": "no such route"}}

    # What Stripe does when the shopper pays ---------------------------------------------

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """Mark a session paid (or an async payment pending) and return it.

        As on Stripe, only an open session can be paid: an expired one raises.
        """
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}: it can't be paid")
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            # Either way a PaymentIntent moved the money; a subscription names its first invoice.
            intent = f"pi_{uuid.uuid4().hex[:14]}"
            if session["mode"] == "subscription":
                session["subscription"] = f"sub_{uuid.uuid4().hex[:14]}"
                session["invoice"] = f"in_{uuid.uuid4().hex[:14]}"
                self.invoice_intents[session["invoice"]] = intent
                self.subscriptions[session["subscription"]] = {
                    "id": session["subscription"],
                    "object": "subscription",
                    "status": "active",
                    "cancel_at_period_end": False,
                    "metadata": session["metadata"],
                    "items": [
                        subscription_item(session["subscription"], *line)
                        for line in self.recurring_lines[session_id]
                    ],
                }
            else:
                session["payment_intent"] = intent
            return dict(session)

    def pay_renewal(
        self, subscription_id: str, period_end: int, invoice_id: str | None = None
    ) -> dict[str, Any]:
        """The `invoice.paid` event Stripe sends when it collects a renewal: a line per item
        still on the subscription (its price × quantity), paid by a PaymentIntent of its own,
        for the period ending `period_end` (a Unix time)."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            invoice_id = invoice_id or f"in_{uuid.uuid4().hex[:14]}"
            intent = self.invoice_intents.setdefault(invoice_id, f"pi_{uuid.uuid4().hex[:14]}")
            lines = [_invoice_line(item, period_end) for item in subscription["items"]]
            total = sum(line["amount"] for line in lines)
            self.renewal_charges[intent] = total
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "billing_reason": "subscription_cycle",
            "status": "paid",
            "subscription": subscription_id,
            "payment_intent": intent,
            "currency": "usd",
            "amount_due": total,
            "amount_paid": total,
            "automatic_tax": {"enabled": False, "status": None},
            "tax": None,
            "lines": {"object": "list", "data": lines, "has_more": False},
        }
        return event("invoice.paid", invoice)

    def refunded(self, reference: str, cents: int, refund_id: str | None = None) -> dict:
        """The `charge.refunded` event of the charge paid with `reference` (a PaymentIntent or
        an invoice), `cents` refunded in all; its refunds listed when `refund_id` is given."""
        intent = self.invoice_intents.get(reference, reference)
        invoice = next((i for i, pi in self.invoice_intents.items() if pi == intent), None)
        charge = {
            "id": f"ch_{intent}",
            "object": "charge",
            "amount": self.renewal_charges.get(intent, cents),
            "amount_refunded": cents,
            "payment_intent": intent,
            "invoice": invoice,
        }
        if refund_id is not None:
            charge["refunds"] = {"object": "list", "data": [{"id": refund_id, "amount": cents}]}
        return event("charge.refunded", charge)

    def fail_renewal(
        self, subscription_id: str, amount_due: int, next_attempt: int | None = None
    ) -> dict[str, Any]:
        """The `invoice.payment_failed` event Stripe sends when a renewal's charge is declined
        (`next_attempt`: when Stripe retries, as a Unix time; None: it gives up)."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
        invoice = {
            "id": f"in_{uuid.uuid4().hex[:14]}",
            "object": "invoice",
            "billing_reason": "subscription_cycle",
            "status": "open",
            "subscription": subscription["id"],
            "amount_due": amount_due,
            "amount_paid": 0,
            "currency": "usd",
            "attempt_count": 1,
            "next_payment_attempt": next_attempt,
        }
        invoice["hosted_invoice_url"] = f"https://invoice.stripe.test/i/{invoice['id']}"
        return event("invoice.payment_failed", invoice)


def subscription_item(
    subscription_id: str, product: dict[str, Any], unit: int, quantity: int
) -> dict:
    """A subscription item with its price's product expanded (our list asks for that)."""
    return {
        "id": f"si_{uuid.uuid4().hex[:14]}",
        "object": "subscription_item",
        "subscription": subscription_id,
        "quantity": quantity,
        "price": {
            "id": f"price_{uuid.uuid4().hex[:14]}",
            "object": "price",
            "unit_amount": unit,
            "product": product,
        },
    }


def _invoice_line(item: dict[str, Any], period_end: int) -> dict[str, Any]:
    """An invoice's line for one subscription item, as Stripe (API 2025-01) sends it."""
    return {
        "id": f"il_{uuid.uuid4().hex[:14]}",
        "object": "line_item",
        "type": "subscription",
        "amount": item["price"]["unit_amount"] * item["quantity"],
        "currency": "usd",
        "quantity": item["quantity"],
        "subscription": item["subscription"],
        "subscription_item": item["id"],
        "price": {k: v for k, v in item["price"].items() if k != "product"}
        | {"product": item["price"]["product"]["id"]},
        "discount_amounts": [],
        "period": {"start": period_end - 30 * 86400, "end": period_end},
    }


def _invoice_payment(invoice: str, intent: str) -> dict[str, Any]:
    return {
        "id": f"inpay_{uuid.uuid4().hex[:14]}",
        "object": "invoice_payment",
        "invoice": invoice,
        "status": "paid",
        "payment": {"type": "payment_intent", "payment_intent": intent},
    }


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription as Stripe answers it (its items as a list object)."""
    return {
        **subscription,
        "items": {"object": "list", "data": subscription["items"], "has_more": False},
    }


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


class FakeLago(_Server):
    """Customers and subscriptions; `down` answers 503 to everything."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.customers: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []

    def route(self, method, path, body, headers):
        payload = json.loads(body or b"{}")
        with self.lock:
            self.requests.append((method, path, payload))
        if self.down:
            return 503, {"status": 503, "error": "Service Unavailable"}
        now = "2026-01-01T00:00:00Z"
        if method == "POST" and path == "/api/v1/customers":
            external_id = payload["customer"]["external_id"]
            customer = self.customers.setdefault(
                external_id,
                {
                    "lago_id": str(uuid.uuid4()),
                    "external_id": external_id,
                    "created_at": now,
                    "applicable_timezone": "UTC",
                },
            )
            return 200, {"customer": {**customer, "updated_at": now}}
        if method == "POST" and path == "/api/v1/subscriptions":
            sub = payload["subscription"]
            record = {
                "lago_id": str(uuid.uuid4()),
                "external_id": sub["external_id"],
                "external_customer_id": sub["external_customer_id"],
                "plan_code": sub["plan_code"],
                "status": "active",
                "created_at": now,
            }
            self.subscriptions[sub["external_id"]] = record
            return 200, {"subscription": record}
        if method == "DELETE" and path.startswith("/api/v1/subscriptions/"):
            external_id = path.rsplit("/", 1)[1]
            record = self.subscriptions.get(external_id)
            if record is None:
                return 404, {"status": 404, "error": "Not Found", "code": "subscription_not_found"}
            record["status"] = "terminated"
            return 200, {"subscription": record}
        return 404, {"status": 404, "error": "Not Found"}
