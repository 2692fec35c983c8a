"""Canary: a row committed by one test must not be visible to the next one."""

from sqlalchemy import func, select

from marketplace.models import SubscriptionTier

CANARY = "isolation-canary"


def _canaries(session) -> int:
    return session.scalar(
        select(func.count()).select_from(SubscriptionTier).where(SubscriptionTier.code == CANARY)
    )


def test_canary_commits_a_row(session):
    assert _canaries(session) == 0
    session.add(SubscriptionTier(code=CANARY, name="Canary"))
    session.commit()
    assert _canaries(session) == 1


def test_canary_row_is_gone_in_the_next_test(session):
    assert _canaries(session) == 0
