"""Typed results of a scan: a ``Finding`` names a type and a span, never the matched text."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PII_TYPES", "Finding", "LocatedFinding", "mask_value"]

# Every type a built-in detector emits, with the one-line meaning shown in reports and SARIF.
PII_TYPES: dict[str, str] = {
    "email": "E-mail address",
    "phone": "Telephone number",
    "card": "Payment card number (PAN)",
    "cvv": "Card security code (CVV/CVC) in context",
    "iban": "International bank account number",
    "bank_routing": "US ABA routing number",
    "bank_account": "Bank account number in context",
    "us_ssn": "US social security number",
    "uk_nino": "UK national insurance number",
    "de_tax_id": "German tax id (Steuer-IdNr)",
    "fr_insee": "French INSEE/NIR number",
    "es_dni": "Spanish DNI/NIE",
    "it_fiscal_code": "Italian codice fiscale",
    "nl_bsn": "Dutch citizen service number (BSN)",
    "in_aadhaar": "Indian Aadhaar number",
    "ip_address": "IPv4 or IPv6 address",
    "date_of_birth": "Date of birth in context",
    "address": "Postal address (heuristic)",
    "secret": "Credential or secret (private key, API key, token)",
    "person": "Person name (NER backend)",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected item: its type, its span in the scanned text and how sure the detector is.

    The matched text is deliberately not stored; take it from the input with ``value_in``.
    """

    type: str
    start: int
    end: int
    confidence: float
    validator: str
    detector: str

    def value_in(self, text: str) -> str:
        """The matched text, read from the input the finding was produced for."""
        return text[self.start : self.end]

    def preview_in(self, text: str) -> str:
        """A masked preview of the matched text, safe to show in a report."""
        return mask_value(self.value_in(text), self.type)


def mask_value(value: str, pii_type: str, *, mask_char: str = "*", keep_last: int = 4) -> str:
    """Mask letters and digits, keeping separators; cards keep their last ``keep_last`` digits.

    Keeping the separators keeps the shape (and the file format around it) intact; the last four
    digits of a card are the part PCI DSS allows to be shown.
    """
    keep_from = len(value)
    if pii_type == "card" and keep_last > 0:
        seen = 0
        for index in range(len(value) - 1, -1, -1):
            if value[index].isdigit():
                seen += 1
                if seen == keep_last:
                    keep_from = index
                    break
    masked = [
        mask_char if char.isalnum() and index < keep_from else char
        for index, char in enumerate(value)
    ]
    if pii_type == "email" and "@" in value:
        # Keep the top-level domain: it says what kind of address it was, not whose.
        dot = value.rfind(".")
        if dot > value.find("@"):
            masked[dot:] = value[dot:]
    return "".join(masked)


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A finding in a file, stream or table: where it is, what it is, and a masked preview.

    ``line`` and ``column`` are 1-based (for CSV, ``line`` is the row number with the header as
    row 1); ``field`` names the CSV column, JSON pointer, Parquet column or database column.
    """

    path: str
    line: int | None
    column: int | None
    field: str | None
    type: str
    confidence: float
    validator: str
    detector: str
    preview: str
    length: int
