"""The `Marketplace-Signature` header: HMAC-SHA256 over `<t>.<body>`, checked in constant time
within five minutes of its timestamp."""

from __future__ import annotations

import hashlib
import hmac

from marketplace.events import signing

BODY = b'{"id":"e1","type":"entitlements.updated"}'
SECRET = "whsec_test"


def test_the_header_is_t_and_the_hex_hmac_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.header(SECRET, 1_700_000_000, BODY) == f"t=1700000000,v1={expected}"


def test_verify_accepts_its_own_signature_within_the_tolerance():
    value = signing.header(SECRET, 1_700_000_000, BODY)
    assert signing.verify(SECRET, value, BODY, now=1_700_000_300)
    assert not signing.verify(SECRET, value, BODY, now=1_700_000_301)  # a replay


def test_verify_refuses_another_secret_body_or_a_malformed_header():
    value = signing.header(SECRET, 1_700_000_000, BODY)
    assert not signing.verify("whsec_other", value, BODY, now=1_700_000_000)
    assert not signing.verify(SECRET, value, BODY + b" ", now=1_700_000_000)
    assert not signing.verify(SECRET, "v1=abc", BODY, now=1_700_000_000)
    assert not signing.verify(SECRET, "t=soon,v1=abc", BODY, now=1_700_000_000)
    assert not signing.verify(SECRET, "", BODY, now=1_700_000_000)
