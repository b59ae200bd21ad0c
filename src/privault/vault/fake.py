"""Realistic synthetic customers (Faker), for demos, tests and benchmarks. Never real data."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from faker import Faker

from privault.vault.rules import check_phone

COLUMNS = ("customer_id", "email", "name", "phone", "address", "birth_date", "card")
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
_CARD_TYPES = ("visa16", "mastercard", "amex", "discover", "jcb16", "visa19")


def _phone(fake: Faker) -> str:
    for _ in range(8):
        candidate = str(fake.phone_number())
        try:
            return check_phone(candidate)
        except ValueError:
            continue
    return f"+1 {fake.numerify('###-###-####')}"


def fake_customers(
    count: int, *, seed: int | None = None, start: int = 1
) -> Iterator[dict[str, str]]:
    """Yield ``count`` synthetic customers with the columns of :data:`COLUMNS`."""
    fake = Faker(list(LOCALES))
    if seed is not None:
        fake.seed_instance(seed)
    for number in range(start, start + count):
        locale_fake = fake[LOCALES[number % len(LOCALES)]]
        first = str(locale_fake.first_name())
        last = str(locale_fake.last_name())
        user = "".join(
            ch for ch in f"{first}.{last}".lower() if (ch.isascii() and ch.isalnum()) or ch == "."
        )
        yield {
            "customer_id": f"C{number:07d}",
            "email": f"{user or 'customer'}{number}@{locale_fake.free_email_domain()}",
            "name": f"{first} {last}",
            "phone": _phone(locale_fake),
            "address": str(locale_fake.address()).replace("\n", ", "),
            "birth_date": locale_fake.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
            "card": str(
                locale_fake.credit_card_number(card_type=_CARD_TYPES[number % len(_CARD_TYPES)])
            ),
        }


def write_customers_csv(out: IO[str], count: int, *, seed: int | None = None) -> None:
    """Write ``count`` synthetic customers as CSV with a header row."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in fake_customers(count, seed=seed):
        writer.writerow(row)
