"""Key-value context: the key or words just before a candidate raise or lower its confidence.

``card=4111...`` makes a card more likely, ``sku=4006...`` makes it less likely; the same holds
for JSON keys (``"email": "..."``), headers (``Phone: ...``) and a word right before a value
(``Tel 030 123456``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["NEGATIVE", "KeyHint", "adjust", "key_hint"]

NEGATIVE: Final = "negative"

_WINDOW = 40
# Read backwards: the window before the candidate is reversed, so that one anchored match finds
# the separator (quotes, colon, equals, "=>") and the up to three words before it.
_REVERSED_KEY_RE = re.compile(
    r"""\s?["'(\[<]?\s{0,3}(?:[:=#]|>=|>-)?\s{0,3}["'\]>)]?"""
    r"([A-Za-z0-9]*[A-Za-z])(?:[ _.\-]([A-Za-z0-9]*[A-Za-z]))?(?:[ _.\-]([A-Za-z0-9]*[A-Za-z]))?"
)
_STOPWORDS: Final = frozenset({"is", "at", "on", "of", "no", "nr", "to", "the", "a", "an", "my"})

_TOKENS: dict[str, str] = {}


def _add(hint: str, *words: str) -> None:
    for word in words:
        _TOKENS[word] = hint


_add(
    "card",
    "card",
    "cc",
    "pan",
    "ccnum",
    "cardnumber",
    "creditcard",
    "kreditkarte",
    "carte",
    "tarjeta",
    "carta",
    "visa",
    "mastercard",
    "amex",
)
_add("email", "email", "mail", "emailaddress", "courriel", "correo")
_add(
    "phone",
    "phone",
    "tel",
    "telephone",
    "telefon",
    "telefono",
    "mobile",
    "mobil",
    "cell",
    "msisdn",
    "fax",
    "handy",
    "portable",
    "cellulare",
    "movil",
    "whatsapp",
    "contact",
)
_add("us_ssn", "ssn", "social", "socialsecurity")
_add("iban", "iban")
_add("bank_routing", "routing", "aba", "rtn", "routingnumber")
_add("bank_account", "account", "acct", "konto", "kontonummer", "accountnumber", "rekening")
_add("nl_bsn", "bsn", "burgerservicenummer", "sofinummer")
_add(
    "de_tax_id", "steuer", "steuerid", "idnr", "steueridentifikationsnummer", "tin", "taxid", "tax"
)
_add("fr_insee", "insee", "nir", "securite", "secu")
_add("in_aadhaar", "aadhaar", "aadhar", "uid", "uidai")
_add("uk_nino", "nino", "insurance")
_add("es_dni", "dni", "nie", "nif")
_add("it_fiscal_code", "fiscale", "codicefiscale", "cf")
_add(
    "ip_address",
    "ip",
    "ipaddr",
    "ipaddress",
    "addr",
    "remoteaddr",
    "clientip",
    "host",
    "peer",
    "forwarded",
    "xff",
    "src",
    "dst",
    "client",
    "remote",
)
_add("date_of_birth", "dob", "birth", "birthday", "birthdate", "geburtsdatum", "born")
_add("cvv", "cvv", "cvc", "cvv2", "cvc2", "csc", "cid")
_add(
    NEGATIVE,
    "sku",
    "ean",
    "upc",
    "gtin",
    "barcode",
    "isbn",
    "asin",
    "order",
    "orderid",
    "invoice",
    "tracking",
    "shipment",
    "parcel",
    "session",
    "sessionid",
    "request",
    "requestid",
    "trace",
    "traceid",
    "span",
    "uuid",
    "guid",
    "version",
    "ver",
    "build",
    "release",
    "ts",
    "timestamp",
    "time",
    "epoch",
    "ms",
    "bytes",
    "size",
    "duration",
    "latency",
    "qty",
    "quantity",
    "count",
    "price",
    "amount",
    "total",
    "sum",
    "port",
    "pid",
    "product",
    "productid",
    "item",
    "itemid",
    "article",
    "artikel",
    "serial",
    "batch",
    "lot",
    "ref",
    "reference",
    "txn",
    "transaction",
    "payment",
    "paymentid",
    "cart",
    "basket",
    "nonce",
    "hash",
    "checksum",
    "crc",
    "offset",
    "seq",
    "sequence",
    "userid",
    "customerid",
    "status",
)


class KeyHint:
    """What the words before a candidate suggest: a PII type, ``NEGATIVE``, or nothing."""

    __slots__ = ("hint",)

    def __init__(self, hint: str | None) -> None:
        self.hint = hint

    @property
    def negative(self) -> bool:
        """Whether the key says the value is an identifier that is not personal data."""
        return self.hint == NEGATIVE

    def supports(self, pii_type: str) -> bool:
        """Whether the key names this very type."""
        return self.hint == pii_type


_NO_HINT: Final = KeyHint(None)


def key_hint(text: str, start: int) -> KeyHint:
    """The context hint for a candidate starting at ``start`` in ``text`` (same line only)."""
    low = max(0, start - _WINDOW)
    newline = text.rfind("\n", low, start)
    if newline >= 0:
        low = newline + 1
    if low >= start:
        return _NO_HINT
    match = _REVERSED_KEY_RE.match(text[low:start][::-1])
    if match is None:
        return _NO_HINT
    words = tuple(word[::-1].lower() for word in reversed(match.groups()) if word)
    return _hint_for(words)


@lru_cache(maxsize=4096)
def _hint_for(words: tuple[str, ...]) -> KeyHint:
    words_list = list(words)
    while words_list and words_list[-1] in _STOPWORDS:
        words_list.pop()
    words = tuple(words_list)
    # A PII word anywhere in the key beats a generic one: "card id" is still a card, and
    # "order phone" a phone; among PII words the one nearest the value decides.
    joined = "".join(words)
    if joined in _TOKENS and _TOKENS[joined] != NEGATIVE:
        return KeyHint(_TOKENS[joined])
    for word in reversed(words):
        hint = _TOKENS.get(word)
        if hint is not None and hint != NEGATIVE:
            return KeyHint(hint)
    for word in reversed(words):
        if word in _TOKENS:
            return KeyHint(NEGATIVE)
    return KeyHint(None)


# Types whose values are bare digits (or dotted digits) and so can be mistaken for the ids, sizes
# and versions that a negative key names; an e-mail address after "user=" is still one.
_NUMERIC_TYPES: Final = frozenset(
    {
        "card",
        "phone",
        "us_ssn",
        "nl_bsn",
        "bank_routing",
        "bank_account",
        "in_aadhaar",
        "fr_insee",
        "de_tax_id",
        "ip_address",
        "cvv",
    }
)


def adjust(confidence: float, hint: KeyHint, pii_type: str) -> float:
    """Raise a confidence when the key names the type, lower it when the key is an identifier."""
    if hint.hint is None:
        return confidence
    if hint.hint == pii_type:
        return round(confidence + (1.0 - confidence) * 0.6, 3)
    if hint.negative and pii_type in _NUMERIC_TYPES:
        return round(confidence * 0.35, 3)
    return confidence
