"""Build the labelled evaluation set: shop log lines in several locales, plus hard negatives.

Values come from Faker and ``phonenumbers`` (never from privault's own validators), so the set
checks the detectors against independent sources. Each sample keeps the spans of the personal
data it contains; everything else in it is, by construction, not personal data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

__all__ = ["LOCALES", "Sample", "build_eval_set", "score"]

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "en_IN")
_REGION = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "es_ES": "ES",
    "it_IT": "IT",
    "nl_NL": "NL",
    "en_IN": "IN",
}
_PHONE_FORMATS = (
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.NATIONAL,
)


@dataclass
class Sample:
    """One line of text and the labelled spans (type, start, end) of the personal data in it."""

    text: str = ""
    labels: list[tuple[str, int, int]] = field(default_factory=list)

    def add(self, chunk: str, pii_type: str | None = None) -> None:
        """Append text; label it when it is personal data."""
        if pii_type is not None:
            self.labels.append((pii_type, len(self.text), len(self.text) + len(chunk)))
        self.text += chunk


def _luhn_complete(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return body + str((10 - total % 10) % 10)


_CARD_BRANDS: tuple[tuple[str, int], ...] = (
    ("4", 16),
    ("4", 19),
    ("51", 16),
    ("53", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("23", 16),
    ("26", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
    ("3589", 16),
    ("36", 14),
    ("6759", 16),
    ("5018", 12),
    ("62", 16),
    ("62", 19),
)


def _card(rng: random.Random) -> str:
    prefix, length = rng.choice(_CARD_BRANDS)
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    number = _luhn_complete(body)
    style = rng.random()
    if style < 0.4 or length not in (15, 16, 19):
        return number
    sep = rng.choice((" ", "-"))
    if length == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, length, 4))


def _phone(rng: random.Random, region: str, fake: Faker) -> str:
    if rng.random() < 0.35:
        # Faker's own formats ("+49(0)30 ...", "(0151) ...", "555.123.4567"), kept when valid.
        for _ in range(10):
            written = fake.phone_number()
            try:
                parsed = phonenumbers.parse(written, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed) and not parsed.extension:
                return written
    kind = rng.choice(
        (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    )
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        raise LookupError(f"phonenumbers has no example number for {region}")
    national = str(example.national_number)
    for _ in range(50):
        keep = max(2, len(national) - 6)
        candidate = national[:keep] + "".join(
            rng.choice("0123456789") for _ in range(len(national) - keep)
        )
        number = phonenumbers.parse("+" + str(example.country_code) + candidate, None)
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    return phonenumbers.format_number(number, rng.choice(_PHONE_FORMATS))


def _d5(i: int, j: int) -> int:
    """Multiplication in the dihedral group D5: 0-4 rotations, 5-9 reflections."""
    if i < 5 and j < 5:
        return (i + j) % 5
    if i < 5:
        return 5 + (i + j - 5) % 5
    if j < 5:
        return 5 + (i - 5 - j) % 5
    return (i - j) % 5


_V_MUL = [[_d5(i, j) for j in range(10)] for i in range(10)]
_V_PERM = [list(range(10)), [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]]
for _ in range(6):
    _V_PERM.append([_V_PERM[1][d] for d in _V_PERM[-1]])


def _verhoeff_complete(body: str) -> str:
    """Append the Verhoeff check digit (dihedral group D5, built here rather than copied)."""
    inverse = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]
    check = 0
    for index, char in enumerate(reversed(body)):
        check = _V_MUL[check][_V_PERM[(index + 1) % 8][int(char)]]
    return body + str(inverse[check])


_NINO_PREFIXES = ("AB", "CE", "JG", "KL", "MR", "PX", "SW", "TY", "WL", "EH")


def _national_id(  # noqa: PLR0911 - one return per locale
    fake: Faker, locale: str, rng: random.Random
) -> tuple[str, str] | None:
    if locale == "en_US":
        return "us_ssn", fake.ssn()
    if locale == "en_GB":
        digits = "".join(rng.choice("0123456789") for _ in range(6))
        spaced = rng.random() < 0.5
        body = " ".join((digits[:2], digits[2:4], digits[4:])) if spaced else digits
        sep = " " if spaced else ""
        return "uk_nino", f"{rng.choice(_NINO_PREFIXES)}{sep}{body}{sep}{rng.choice('ABCD')}"
    if locale == "fr_FR":
        return "fr_insee", fake.ssn()
    if locale == "es_ES":
        return "es_dni", fake.nif() if rng.random() < 0.6 else fake.nie()
    if locale == "it_IT":
        return "it_fiscal_code", fake.ssn()
    if locale == "en_IN":
        # Faker's Aadhaar numbers carry a Luhn digit; real ones carry a Verhoeff digit.
        value = _verhoeff_complete(str(rng.randint(2 * 10**10, 10**11 - 1)))
        return "in_aadhaar", " ".join((value[:4], value[4:8], value[8:]))
    return None


_FILLER = (
    "GET /api/v2/orders/{n} 200 {ms}ms",
    "worker=checkout-{k} took {ms}ms",
    "cart updated items={k}",
    "payment authorised amount={k}.99 EUR",
    "shipment {sku} dispatched",
    "retry {k}/5",
    "cache hit ratio 0.{k}",
    "queue depth {k}",
    "session {uid} refreshed",
)


def _filler(rng: random.Random) -> str:
    return rng.choice(_FILLER).format(
        n=rng.randint(1000, 999999),
        ms=rng.randint(1, 9000),
        k=rng.randint(1, 99),
        sku=f"SKU-{rng.randint(10000, 99999)}-{rng.choice(('BLK', 'RED', 'XL'))}",
        uid=uuid.UUID(int=rng.getrandbits(128)),
    )


def _ean13(rng: random.Random, prefix: str = "") -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix)))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _upc(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(11))
    total = sum(int(c) * (1 if i % 2 else 3) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _hard_negative(rng: random.Random) -> str:
    choices = (
        lambda: f"order ORD-{rng.randint(2019, 2026)}-{rng.randint(0, 999999):06d} created",
        lambda: f"order #{rng.randint(100000, 99999999)} paid",
        lambda: f"order_id={_luhn_complete('4' + str(rng.randint(10**13, 10**14 - 1)))}",
        lambda: f"sku={_ean13(rng)} qty={rng.randint(1, 9)}",
        lambda: f"scanned barcode {_ean13(rng, rng.choice(('40', '50', '62', '6759', '5018')))}",
        lambda: f"upc {_upc(rng)}",
        lambda: f"ean: {_ean13(rng)}",
        lambda: f"gtin=0{_ean13(rng)}",
        lambda: f"request_id={uuid.UUID(int=rng.getrandbits(128))}",
        lambda: (
            f"at {rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        ),
        lambda: f"ts={rng.randint(1_500_000_000, 1_800_000_000)}",
        lambda: f"epoch_ms {rng.randint(1_500_000_000_000, 1_800_000_000_000)}",
        lambda: f"version {rng.randint(0, 12)}.{rng.randint(0, 40)}.{rng.randint(0, 200)}",
        lambda: f"build 10.0.{rng.randint(10000, 22631)}.{rng.randint(100, 3000)}",
        lambda: f"Chrome/{rng.randint(90, 130)}.0.{rng.randint(1000, 7000)}.{rng.randint(10, 200)}",
        lambda: (
            f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}-rc{rng.randint(1, 5)}"
        ),
        lambda: f"price {rng.randint(1, 9)}.{rng.randint(100, 999)},{rng.randint(10, 99)} EUR",
        lambda: f"tracking 1Z{rng.randint(100, 999)}AA1{rng.randint(10**8, 10**9 - 1)}",
        lambda: f"invoice {rng.randint(2019, 2026)}{rng.randint(0, 999999):06d}",
        lambda: f"took {rng.randint(1_000_000, 99_999_999)} ns",
        lambda: f"sha1 {rng.getrandbits(160):040x}",
        lambda: f"icon@{rng.randint(2, 3)}x.png",
        lambda: f"size={rng.randint(1_000_000, 9_999_999_999)} bytes",
        lambda: f"zip {rng.randint(10000, 99999)}",
    )
    return rng.choice(choices)()


def _ip_next_to_digits(sample: Sample, fake: Faker, rng: random.Random) -> None:
    ip = fake.ipv4_public() if rng.random() < 0.5 else fake.ipv4_private()
    sample.add("client ")
    sample.add(ip, "ip_address")
    sample.add(
        rng.choice(
            (
                f" {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                f":{rng.randint(1024, 65535)}",
                f" port {rng.randint(1000, 9999)}",
            )
        )
    )


def _british_iban(rng: random.Random) -> str:
    """A GB IBAN: four-letter bank code, 14 digits, ISO 7064 mod 97-10 check digits."""
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
    bban += "".join(rng.choice("0123456789") for _ in range(14))
    numeric = "".join(str(int(c, 36)) for c in bban + "GB00")
    return f"GB{98 - int(numeric) % 97:02d}{bban}"


def _line(fake: Faker, locale: str, rng: random.Random) -> Sample:
    sample = Sample()
    sample.add(f"{fake.date_time_this_year().isoformat()} INFO ")
    kind = rng.choice(
        (
            "email",
            "phone",
            "phone",
            "card",
            "card",
            "iban",
            "ip",
            "ipv6",
            "id",
            "negative",
            "negative",
            "negative",
            "ipdigits",
            "mixed",
            "address",
        )
    )
    if kind in ("email", "mixed"):
        sample.add(rng.choice(("customer ", "user=", '"email": "', "contact ")))
        sample.add(fake.email(), "email")
        sample.add(" ")
    if kind in ("phone", "mixed"):
        # No context words: the phone number stands in free text.
        sample.add(
            rng.choice((" customer asked to be reached at ", " note: ", " left message, ", " "))
        )
        sample.add(_phone(rng, _REGION[locale], fake), "phone")
        sample.add(rng.choice((" after 5pm", ", thanks", ".", " re delivery", ";")))
    if kind in ("card", "mixed"):
        sample.add(rng.choice((" card=", " pan ", " charged ", " ", " paid with ")))
        sample.add(_card(rng), "card")
        sample.add(rng.choice((" exp 12/27", "", " declined")))
    if kind == "iban":
        sample.add(rng.choice(("refund to ", "iban=", "IBAN: ")))
        # Faker's en_IN IBANs are one character short; use a British one there.
        iban = fake.iban() if locale != "en_IN" else _british_iban(rng)
        grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        sample.add(grouped if rng.random() < 0.5 else iban, "iban")
    if kind == "ip":
        sample.add(rng.choice(("remote_addr=", "from ", "ip ")))
        sample.add(fake.ipv4_public() if rng.random() < 0.7 else fake.ipv4_private(), "ip_address")
    if kind == "ipv6":
        sample.add(rng.choice(("remote_addr=", "from ")))
        sample.add(fake.ipv6(), "ip_address")
    if kind == "address":
        sample.add(rng.choice(("ship to ", "address: ", "deliver to ")))
        sample.add(fake.street_address().replace("\n", ", ").strip(), "address")
        sample.add(rng.choice((", thanks", ".", " before noon")))
    if kind == "ipdigits":
        _ip_next_to_digits(sample, fake, rng)
    if kind == "id":
        national = _national_id(fake, locale, rng)
        if national is not None:
            sample.add(rng.choice(("id document ", "verified ", "")))
            sample.add(national[1], national[0])
    if kind == "negative" or rng.random() < 0.5:
        sample.add(" " + _hard_negative(rng))
    sample.add(" " + _filler(rng))
    return sample


def build_eval_set(seed: int = 20240501, per_locale: int = 400) -> list[Sample]:
    """The evaluation set: ``per_locale`` lines for each locale, reproducible from ``seed``."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    for index, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(seed + index)
        samples.extend(_line(fake, locale, rng) for _ in range(per_locale))
    return samples


@dataclass
class Score:
    """True/false positives and false negatives of one type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of findings that were labelled."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labels that were found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(samples: list[Sample], predict: object) -> tuple[dict[str, Score], int]:
    """Per-type scores of ``predict(text) -> [(type, start, end)]`` and the count of phone
    findings that overlap a labelled IP address, SSN or card."""
    assert callable(predict)
    scores: dict[str, Score] = {}
    phone_inside = 0
    for sample in samples:
        predicted: list[tuple[str, int, int]] = list(predict(sample.text))
        matched_labels: set[int] = set()
        for p_type, p_start, p_end in predicted:
            hit = next(
                (
                    i
                    for i, (l_type, l_start, l_end) in enumerate(sample.labels)
                    if l_type == p_type and l_start < p_end and p_start < l_end
                ),
                None,
            )
            entry = scores.setdefault(p_type, Score())
            if hit is None:
                entry.fp += 1
            else:
                matched_labels.add(hit)
            if p_type == "phone" and any(
                l_type in ("ip_address", "us_ssn", "card") and l_start < p_end and p_start < l_end
                for l_type, l_start, l_end in sample.labels
            ):
                phone_inside += 1
        for index, (l_type, _, _) in enumerate(sample.labels):
            entry = scores.setdefault(l_type, Score())
            if index in matched_labels:
                entry.tp += 1
            else:
                entry.fn += 1
    return scores, phone_inside
