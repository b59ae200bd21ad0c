"""Logins per second per core at the configured argon2 parameters, beside raw argon2-cffi.

Run: ``.venv/bin/python bench/auth.py [--memory-kib 19456 --time-cost 2 --parallelism 1]``.
Prints, each against the floor of ``argon2.PasswordHasher().verify`` at the same parameters in
the same run, as a ratio (target <= 1.2):

- a whole login (``Authenticator.login`` on SQLite: throttle state, account lookup, argon2,
  rehash check, a new session row, the audit event, the commit);
- ``verify_and_maybe_rehash`` alone (NFKC, length cap, optional pepper, rehash check);

and the unknown-account path (``dummy_verify``) beside a wrong password for a known account,
whose ratio should be ~1.0 so timing does not reveal which accounts exist.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import argon2

from privault.auth import Argon2Parameters, PasswordHasher, Pepper

PASSWORD = "correct horse battery staple, but longer"  # noqa: S105 - benchmark input


def per_second(action: Callable[[], object], iterations: int) -> float:
    """Operations per second over ``iterations`` calls."""
    start = time.perf_counter()
    for _ in range(iterations):
        action()
    return iterations / (time.perf_counter() - start)


def compare(
    label: str,
    ours: Callable[[], object],
    floor: Callable[[], object],
    *,
    rounds: int,
    iterations: int,
    floor_label: str = "floor",
) -> None:
    """Alternate rounds of both so drift in machine load hits them equally; print medians."""
    ours_rates, floor_rates = [], []
    for _ in range(rounds):
        floor_rates.append(per_second(floor, iterations))
        ours_rates.append(per_second(ours, iterations))
    ours_rate, floor_rate = statistics.median(ours_rates), statistics.median(floor_rates)
    print(
        f"{label:<40} {ours_rate:8.1f}/s   {floor_label} {floor_rate:8.1f}/s   "
        f"ratio {floor_rate / ours_rate:5.3f}"
    )


def whole_login(
    params: Argon2Parameters, raw: argon2.PasswordHasher, *, rounds: int, iterations: int
) -> None:
    """Authenticator.login end to end on a fresh SQLite home, beside raw argon2 verify."""
    from privault.auth import Authenticator, IssuedSession
    from privault.config import Settings
    from privault.home import init_home
    from privault.vault import Vault

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp) / "home",
            auth={
                "argon2_memory_kib": params.memory_kib,
                "argon2_time_cost": params.time_cost,
                "argon2_parallelism": params.parallelism,
            },
        )
        init_home(settings)
        with Vault.open(settings) as vault:
            auth = Authenticator.from_keys(
                settings.auth, derived=vault.keys.derived, audit=vault.audit
            )
            login = "bench.customer@example.com"
            with vault.session() as db_session:
                auth.register(db_session=db_session, login=login, password=PASSWORD)
            stored = raw.hash(PASSWORD)
            # A fresh client address per login: the per-address limit is not what is measured.
            addresses = (f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in itertools.count())

            def log_in() -> None:
                with vault.session() as db_session:
                    issued = auth.login(
                        db_session=db_session,
                        login=login,
                        password=PASSWORD,
                        address=next(addresses),
                    )
                if not isinstance(issued, IssuedSession):
                    raise SystemExit(f"login refused: {issued}")

            compare(
                "whole login (Authenticator.login)",
                log_in,
                lambda: raw.verify(stored, PASSWORD),
                rounds=rounds,
                iterations=iterations,
            )


def main() -> None:
    """Parse options, run the comparisons, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--memory-kib", type=int, default=Argon2Parameters().memory_kib)
    parser.add_argument("--time-cost", type=int, default=Argon2Parameters().time_cost)
    parser.add_argument("--parallelism", type=int, default=Argon2Parameters().parallelism)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()

    params = Argon2Parameters(
        memory_kib=args.memory_kib, time_cost=args.time_cost, parallelism=args.parallelism
    )
    raw = argon2.PasswordHasher(
        memory_cost=params.memory_kib,
        time_cost=params.time_cost,
        parallelism=params.parallelism,
        hash_len=params.hash_len,
        salt_len=params.salt_len,
    )
    print(
        f"argon2id m={params.memory_kib} KiB t={params.time_cost} p={params.parallelism}; "
        f"median of {args.rounds} rounds x {args.iterations}; one thread = one core"
    )

    whole_login(params, raw, rounds=args.rounds, iterations=args.iterations)

    plain = PasswordHasher(params)
    stored = plain.hash(PASSWORD)
    compare(
        "verify_and_maybe_rehash (no pepper)",
        lambda: plain.verify_and_maybe_rehash(stored, PASSWORD),
        lambda: raw.verify(stored, PASSWORD),
        rounds=args.rounds,
        iterations=args.iterations,
    )

    peppered = PasswordHasher(params, pepper=Pepper("bench", b"p" * 32))
    stored_peppered = peppered.hash(PASSWORD)
    argon_part = stored_peppered.split(":", 2)[2]
    # The floor gets the already-peppered bytes: argon2 alone, on exactly what privault feeds it.
    secret = hmac.new(b"p" * 32, PASSWORD.encode("utf-8"), hashlib.sha256).digest()
    compare(
        "verify_and_maybe_rehash (pepper)",
        lambda: peppered.verify_and_maybe_rehash(stored_peppered, PASSWORD),
        lambda: raw.verify(argon_part, secret),
        rounds=args.rounds,
        iterations=args.iterations,
    )
    compare(
        "unknown account (dummy_verify)",
        lambda: plain.dummy_verify(PASSWORD),
        lambda: plain.verify_and_maybe_rehash(stored, "wrong " + PASSWORD),
        rounds=args.rounds,
        iterations=args.iterations,
        floor_label="known account, wrong password",
    )


if __name__ == "__main__":
    main()
