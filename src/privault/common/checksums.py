"""Check-digit algorithms: pure functions over digit strings.

One copy for the whole project: the vault validates stored card numbers and IBANs with them,
the leak detectors validate what they find, tokens use Luhn to stay invalid.
"""

from __future__ import annotations

__all__ = [
    "aba_valid",
    "bsn_valid",
    "codice_fiscale_valid",
    "dni_valid",
    "gtin_valid",
    "iban_valid",
    "insee_valid",
    "luhn_valid",
    "nie_valid",
    "steuer_id_valid",
    "verhoeff_valid",
]

_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # digit -> digit sum of its double


def luhn_valid(digits: str) -> bool:
    """Whether an ASCII digit string passes the Luhn (mod 10) check used by payment cards."""
    total = sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2].translate(_LUHN_DOUBLED)))
    return total % 10 == 0


def gtin_valid(digits: str) -> bool:
    """Whether a digit string is a valid GS1 number (EAN-8, UPC-A, EAN-13, GTIN-14)."""
    if len(digits) not in (8, 12, 13, 14):
        return False
    body = digits[:-1][::-1]
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10 == int(digits[-1])


def mod97(text: str) -> int:
    """The ISO 7064 mod 97-10 remainder of an alphanumeric string (letters A=10 ... Z=35)."""
    remainder = 0
    for char in text:
        value = int(char, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder


# Per-country IBAN lengths (ISO 13616 registry, SWIFT release 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HN": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}


def iban_valid(iban: str) -> bool:
    """Whether a compact upper-case IBAN has its country's length and passes mod 97."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    return mod97(iban[4:] + iban[:4]) == 1


def aba_valid(digits: str) -> bool:
    """Whether nine digits form a US ABA routing number (3-7-1 weights, valid Fed prefix)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True)) % 10 == 0


def bsn_valid(digits: str) -> bool:
    """Whether nine digits pass the Dutch BSN eleven-test."""
    if len(digits) != 9 or digits == "000000000":
        return False
    total = sum(int(c) * w for c, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def steuer_id_valid(digits: str) -> bool:
    """Whether eleven digits form a German tax id (Steuer-IdNr): digit rule and ISO 7064 key."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    # Since 2016 one digit appears two or three times in the first ten, all others at most once.
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    product = 10
    for char in digits[:10]:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return (0 if check == 10 else check) == int(digits[10])


def insee_valid(nir: str) -> bool:
    """Whether a 15-character French NIR (INSEE number) has a valid structure and key."""
    if len(nir) != 15 or nir[0] not in "1278":
        return False
    month = nir[3:5]
    if not month.isdigit() or not (
        1 <= int(month) <= 12 or 20 <= int(month) <= 42 or 50 <= int(month) <= 99
    ):
        return False
    body = nir[:13].upper().replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not nir[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(nir[13:])


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_valid(value: str) -> bool:
    """Whether a Spanish DNI (eight digits and a check letter) has the right letter."""
    return len(value) == 9 and value[:8].isdigit() and _DNI_LETTERS[int(value[:8]) % 23] == value[8]


def nie_valid(value: str) -> bool:
    """Whether a Spanish NIE (X/Y/Z, seven digits, check letter) has the right letter."""
    if len(value) != 9 or value[0] not in "XYZ" or not value[1:8].isdigit():
        return False
    return _DNI_LETTERS[int(str("XYZ".index(value[0])) + value[1:8]) % 23] == value[8]


_CF_ODD = {
    **dict(zip("0123456789", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21), strict=True)),
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (
                1,
                0,
                5,
                7,
                9,
                13,
                15,
                17,
                19,
                21,
                2,
                4,
                18,
                20,
                11,
                3,
                6,
                8,
                12,
                14,
                16,
                10,
                22,
                25,
                24,
                23,
            ),
            strict=True,
        )
    ),
}


def codice_fiscale_valid(value: str) -> bool:
    """Whether a 16-character Italian codice fiscale has the right check character."""
    if len(value) != 16:
        return False
    total = 0
    for index, char in enumerate(value[:15]):
        if index % 2 == 0:
            total += _CF_ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - 65
    return chr(65 + total % 26) == value[15]


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Whether a digit string passes the Verhoeff check (used by India's Aadhaar)."""
    check = 0
    for index, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[index % 8][int(char)]]
    return check == 0
