"""What each built-in detector matches, and the look-alikes it must leave alone."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from privault.dlp import Finding, analyze


def found(text: str, **kwargs: object) -> list[tuple[str, str]]:
    """(type, matched text) for every finding."""
    return [(f.type, f.value_in(text)) for f in analyze(text, **kwargs)]  # type: ignore[arg-type]


def types_in(text: str) -> list[str]:
    """The types of every finding."""
    return [f.type for f in analyze(text)]


class TestCards:
    @pytest.mark.parametrize(
        "number",
        [
            "2223003122003222",  # Mastercard 2-series
            "2720 9900 0000 0007",  # Mastercard 2-series, top of the range
            "5555 5555 5555 4444",  # Mastercard 51-55
            "3782 822463 10005",  # Amex, 4-6-5
            "6011-1111-1111-1117",  # Discover, dashes
            "3530111333300000",  # JCB
            "4000 0000 0000 0000 006",  # 19-digit Visa
            "6759649826438453",  # Maestro
            "6200000000000005",  # UnionPay
            "36227206271667",  # Diners 14 digits
        ],
    )
    def test_card_number_is_found_whole(self, number: str) -> None:
        """Cards of every current network are found whole, grouped or not."""
        assert found(f"charged {number} ok") == [("card", number)]

    def test_card_failing_luhn_is_not_a_card(self) -> None:
        """A card-shaped number that fails Luhn is neither a card nor a phone."""
        assert found("charged 4111 1111 1111 1112 ok") == []

    def test_ean13_barcode_is_not_a_card(self) -> None:
        """A 13-digit EAN barcode is not taken for a card, even where it passes Luhn."""
        assert found("scanned 4006381333931 at till") == []

    def test_luhn_valid_order_id_after_order_key_is_not_reported(self) -> None:
        """An order id shaped like a card is dropped when its key says it is an order."""
        assert found("order_id=4539578763621486 paid") == []

    def test_card_key_raises_confidence(self) -> None:
        """``card=`` raises the confidence of a card over the same number without a key."""
        plain = analyze("x 4111111111111111")[0].confidence
        keyed = analyze("card=4111111111111111")[0].confidence
        assert keyed > plain

    def test_card_in_url_path_is_found_but_ids_are_not(self) -> None:
        """A card number as a URL path segment is found; numeric ids in paths are not."""
        assert found("GET /api/cards/4111111111111111/charge") == [("card", "4111111111111111")]
        assert found("GET /orders/100234567 and /products/5901234123457") == []

    def test_card_next_to_other_figures_is_found(self) -> None:
        """A card followed or preceded by other figures in one run is still found."""
        assert found("pan 4111 1111 1111 1111 2 items") == [("card", "4111 1111 1111 1111")]
        assert found("on 01/05/2024 4111-1111-1111-1111") == [("card", "4111-1111-1111-1111")]

    def test_card_glued_to_letters_is_not_found(self) -> None:
        """Digits inside a word (an SKU) are not a card."""
        assert found("sku ABC4111111111111111") == []


class TestPhones:
    @pytest.mark.parametrize(
        "number",
        [
            "+49 30 12345678",
            "+44 20 7946 0018",
            "+1 415-555-2671",
            "(415) 555-2671",
            "030 12345678",
            "+33 1 23 45 67 89",
            "0049 30 12345678",
            "+14155552671",
        ],
    )
    def test_phone_without_context_is_found(self, number: str) -> None:
        """Valid phone numbers are found with no context words around them."""
        assert found(f"reach {number} soon") == [("phone", number)]

    def test_invalid_number_is_not_a_phone(self) -> None:
        """A number that ``phonenumbers`` rejects is not reported."""
        assert found("ref +49 0 1 soon and +1 000-000-0000") == []

    def test_ip_address_is_never_a_phone(self) -> None:
        """Digits of an IP address and the port or figures next to it are not phones."""
        assert types_in("client 203.0.113.195 555 0100 and 10.0.0.7:5432") == ["ip_address"] * 2

    def test_ssn_is_never_a_phone(self) -> None:
        """An SSN-shaped number is an SSN or nothing, never a phone."""
        assert types_in("ssn 123-45-6788") == ["us_ssn"]
        assert types_in("ref 000-45-6788") == []

    def test_longer_digit_run_holds_no_phone(self) -> None:
        """A phone-length part of a longer digit run is not a phone."""
        assert types_in("ref 030123456789012345678") == []

    def test_bare_ten_digits_need_a_phone_key(self) -> None:
        """A bare 10-digit run is an id unless a key says it is a phone."""
        assert types_in("id 4155552671 ok") == []
        assert types_in("phone=4155552671") == ["phone"]


class TestNetwork:
    def test_email_is_found(self) -> None:
        """An e-mail address is found whole."""
        assert found("mail jane.doe+shop@example.co.uk now") == [
            ("email", "jane.doe+shop@example.co.uk")
        ]

    def test_retina_image_name_is_not_an_email(self) -> None:
        """``icon@2x.png`` is a file name, not an address."""
        assert found("GET /img/icon@2x.png") == []

    def test_ipv4_with_octet_over_255_is_rejected(self) -> None:
        """Dotted quads are validated with ``ipaddress``."""
        assert found("from 999.10.10.10") == []

    def test_ipv6_is_found(self) -> None:
        """IPv6 addresses, full or compressed, are found."""
        assert found("from 2001:db8::8a2e:370:7334 and fe80::1") == [
            ("ip_address", "2001:db8::8a2e:370:7334"),
            ("ip_address", "fe80::1"),
        ]

    def test_time_and_mac_address_are_not_ipv6(self) -> None:
        """Times and MAC addresses have colons but are not IPv6 addresses."""
        assert found("at 12:34:56 mac 00:1a:2b:3c:4d:5e") == []

    def test_version_string_is_not_an_ip(self) -> None:
        """``v1.2.3.4`` and a ``version=`` key keep a version out of the findings."""
        assert found("agent v1.2.3.4 version=4.3.2.1") == []


class TestBankAndNationalIds:
    def test_iban_grouped_and_compact(self) -> None:
        """IBANs are found with or without spaces, and stop at their country's length."""
        assert found("to DE89 3704 0044 0532 0130 00 EUR and GB82WEST12345698765432.") == [
            ("iban", "DE89 3704 0044 0532 0130 00"),
            ("iban", "GB82WEST12345698765432"),
        ]

    def test_iban_with_bad_check_digits_is_rejected(self) -> None:
        """An IBAN failing mod 97 is not reported."""
        assert found("to DE88 3704 0044 0532 0130 00") == []

    def test_aba_routing_needs_context(self) -> None:
        """A routing number is reported only after a routing key."""
        assert found("routing number: 011000015") == [("bank_routing", "011000015")]
        assert found("ref 011000015") == []

    def test_ssn_invalid_ranges_are_rejected(self) -> None:
        """SSNs with area 000, 666 or 9xx, group 00 or serial 0000 are not SSNs."""
        for value in ("666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"):
            assert found(f"ssn {value}") == []

    @pytest.mark.parametrize(
        ("text", "pii_type", "value"),
        [
            ("nino AB 12 34 56 C", "uk_nino", "AB 12 34 56 C"),
            ("Steuer-ID: 86095742719", "de_tax_id", "86095742719"),
            ("nir 2 55 08 14 168 025 38", "fr_insee", "2 55 08 14 168 025 38"),
            ("dni 12345678Z", "es_dni", "12345678Z"),
            ("nie X1234567L", "es_dni", "X1234567L"),
            ("cf RSSMRA85T10A562S", "it_fiscal_code", "RSSMRA85T10A562S"),
            ("bsn: 111222333", "nl_bsn", "111222333"),
            ("aadhaar 2345 6789 0124", "in_aadhaar", "2345 6789 0124"),
        ],
    )
    def test_national_id_is_found(self, text: str, pii_type: str, value: str) -> None:
        """Each national id with a valid checksum (or format, for NINO) is found."""
        if pii_type == "in_aadhaar":
            from privault.common.checksums import verhoeff_valid

            assert verhoeff_valid(value.replace(" ", ""))
        assert found(text) == [(pii_type, value)]

    def test_nino_with_unissued_prefix_is_rejected(self) -> None:
        """NINO prefixes that are never issued (GB, ZZ, ...) are not reported."""
        assert found("nino ZZ123456C and GB123456A") == []

    def test_dni_with_wrong_letter_is_rejected(self) -> None:
        """A DNI whose letter does not match mod 23 is not reported."""
        assert found("dni 12345678A") == []


class TestContextual:
    def test_cvv_after_keyword(self) -> None:
        """Three or four digits after CVV/CVC are a security code; elsewhere they are not."""
        assert found("CVV: 123 and cvc2=4567 but code 123") == [("cvv", "123"), ("cvv", "4567")]

    def test_date_of_birth_after_keyword(self) -> None:
        """A real past date after a birth keyword is a date of birth."""
        assert found("DOB: 1980-02-29, born on 3 March 1975") == [
            ("date_of_birth", "1980-02-29"),
            ("date_of_birth", "3 March 1975"),
        ]

    def test_impossible_or_future_birth_date_is_rejected(self) -> None:
        """February 30th and dates in the future are not dates of birth."""
        assert found("dob 1981-02-30 birthday 2999-01-01") == []

    def test_timestamp_is_not_a_finding(self) -> None:
        """ISO timestamps are not dates of birth, phones or cards."""
        assert found("2024-05-01T12:00:01.123456Z 2024-05-01 12:00:01,123") == []

    @pytest.mark.parametrize(
        "address",
        [
            "221B Baker Street",
            "1600 Pennsylvania Ave NW",
            "Hauptstraße 12a",
            "12 rue de la Paix",
            "Calle Mayor 5",
        ],
    )
    def test_street_address_is_found(self, address: str) -> None:
        """The address heuristic finds street lines in several countries' formats."""
        assert found(f"ship to {address}, thanks") == [("address", address)]


def _jwt() -> str:
    def part(document: dict[str, object]) -> str:
        raw = json.dumps(document).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '42'})}.c2lnbmF0dXJlX2J5dGVz"


def _github_token() -> str:
    body = "a" * 10 + "B" * 10 + "0123456789"
    checksum, alphabet, digits = (
        zlib.crc32(body.encode()),
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "",
    )
    alphabet += alphabet[10:].lower()
    while checksum:
        checksum, remainder = divmod(checksum, 62)
        digits = alphabet[remainder] + digits
    return f"ghp_{body}{digits.rjust(6, '0')}"


class TestSecrets:
    @pytest.mark.parametrize(
        ("secret", "validator"),
        [
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "pem-armor"),
            (_jwt(), "jwt-header"),
            ("AKIAIOSFODNN7EXAMPLE", "prefix"),
            (_github_token(), "crc32"),
            ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "prefix"),
            ("rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "prefix"),
            ("xoxb-" + "1234567890-abcdefghijkl", "prefix"),
            ("AIza" + "SyA-1234567890abcdefghijklmnopqrstu", "prefix"),
        ],
    )
    def test_secret_is_found_whole(self, secret: str, validator: str) -> None:
        """Private keys, JWTs and provider keys are found whole with their validator."""
        findings = analyze(f"config {secret} end")
        assert [(f.type, f.value_in(f"config {secret} end"), f.validator) for f in findings] == [
            ("secret", secret, validator)
        ]

    def test_high_entropy_value_after_secret_key(self) -> None:
        """A random-looking value after ``api_key=`` is a secret; a plain word is not."""
        assert found("api_key=Zx8Qp2Lm9Rt4Vw7Ky3Hn") == [("secret", "Zx8Qp2Lm9Rt4Vw7Ky3Hn")]
        assert found("api_key=aaaaaaaaaaaaaaaaaaaa") == []

    def test_password_value_is_a_secret(self) -> None:
        """Any value after a password key is a secret, but placeholders are not."""
        assert found('"password": "hunter22"') == [("secret", "hunter22")]
        assert found("password=******** passwd=null") == []


class TestHardNegatives:
    @pytest.mark.parametrize(
        "text",
        [
            "order ORD-2024-000123 created",
            "order #100234567 paid",
            "sku=SKU-88231-BLK-XL qty=2",
            "upc 036000291452 and gtin=04006381333931",
            "request_id=123e4567-e89b-12d3-a456-426614174000",
            "ts=1714567890 epoch_ms 1714567890123",
            "version 2.14.3 build 10.0.19041.1237 Chrome/124.0.6367.91",
            "price 1.234,56 EUR total $1,299.00",
            "sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            "took 12345678 ns size=1048576 bytes",
            "",
        ],
    )
    def test_identifier_is_not_a_finding(self, text: str) -> None:
        """Order ids, SKUs, barcodes, UUIDs, timestamps, versions and prices are not findings."""
        assert found(text) == []


class TestHostileInput:
    @pytest.mark.parametrize(
        "text",
        [
            "1 " * 50_000,
            "a@" * 50_000,
            "+" + "1-" * 50_000,
            "DE" + "1" * 100_000,
            ":" * 100_000,
            "-----BEGIN PRIVATE KEY-----" + "A" * 100_000,
            "\x00\ud800\U0001f600" * 1_000,
            "İ" * 1000 + " cvv 123",
        ],
    )
    def test_pathological_input_is_scanned_without_error(self, text: str) -> None:
        """Long runs, lone surrogates, NUL bytes and case-folding characters do not break it."""
        findings = analyze(text)
        assert all(isinstance(f, Finding) and 0 <= f.start < f.end <= len(text) for f in findings)

    def test_case_folding_text_keeps_offsets(self) -> None:
        """Where lower-casing changes the text length, keyword findings keep exact offsets."""
        text = "İİİ CVV: 987"
        assert found(text) == [("cvv", "987")]
