"""Login timing does not tell an unknown account from a known one with a wrong password."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator

import pytest

from privault.auth import Authenticator, Refusal
from privault.config import Settings
from privault.vault import Vault

from .conftest import ADDRESS, EMAIL, PASSWORD

RUNS = 30


@pytest.fixture
def realistic(settings: Settings) -> Iterator[tuple[Vault, Authenticator]]:
    """OWASP's argon2 floor (the default), and throttling loose enough for 60 failures."""
    configured = settings.model_copy(
        update={
            "auth": settings.auth.model_copy(
                update={
                    "free_failures": 99,
                    "address_failures_per_minute": 10_000,
                    "address_failures_per_hour": 10_000,
                }
            )
        }
    )
    with Vault.open(configured) as vault:
        auth = Authenticator.from_keys(
            configured.auth, derived=vault.keys.derived, audit=vault.audit
        )
        yield vault, auth


def measure(vault: Vault, auth: Authenticator) -> tuple[float, int]:
    """Time 30 pairs of failed logins (known account, unknown account), each pair in random
    order; return the median ratio known/unknown and in how many pairs the known was slower."""
    shuffle = random.Random(6)

    def timed(email: str, n: int) -> float:
        start = time.perf_counter()
        with vault.session() as db_session:
            result = auth.login(
                db_session=db_session, login=email, password=f"wrong {n}", address=ADDRESS
            )
        elapsed = time.perf_counter() - start
        assert isinstance(result, Refusal)
        assert result.error.code == "bad_credentials"
        return elapsed

    ratios: list[float] = []
    for n in range(RUNS):
        # Pairs run back to back, so a change in machine load hits both halves alike.
        order = [True, False]
        shuffle.shuffle(order)
        times = {known: timed(EMAIL if known else "nobody@example.com", n) for known in order}
        ratios.append(times[True] / times[False])
    return statistics.median(ratios), sum(ratio > 1 for ratio in ratios)


def test_unknown_account_costs_what_a_wrong_password_costs(
    realistic: tuple[Vault, Authenticator],
) -> None:
    """The known-account login is slower in about half the pairs (sign test), median ratio ~1."""
    vault, auth = realistic
    with vault.session() as db_session:
        assert auth.register(db_session=db_session, login=EMAIL, password=PASSWORD)
    median, slower = measure(vault, auth)
    print(f"median ratio known/unknown {median:.3f}; known slower in {slower}/{RUNS} pairs")
    # Sign test: with no difference, fewer than 6 or more than 24 of 30 has p < 0.002.
    assert 6 <= slower <= RUNS - 6
    assert 0.8 < median < 1.25


def test_the_measure_detects_a_missing_dummy_hash(
    realistic: tuple[Vault, Authenticator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: without the dummy hash for unknown accounts, the same measure tells them apart."""
    vault, auth = realistic
    with vault.session() as db_session:
        assert auth.register(db_session=db_session, login=EMAIL, password=PASSWORD)
    monkeypatch.setattr(auth.hasher, "dummy_verify", lambda password: None)
    median, slower = measure(vault, auth)
    assert slower > RUNS - 6
    assert median > 1.15
