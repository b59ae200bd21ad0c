"""Leak-prevention benchmark: throughput, start-up time and accuracy, beside their floors.

    python bench/dlp.py [--size-mb 1.5] [--seed 7]

Prints, in one run: MB/s of the engine with every regex detector on generated shop logs and on
a JSON Lines file; the floor (one pass of a single compiled regex over the same bytes); when
``presidio_analyzer`` is importable, Presidio's regex-only recognizers on the same text and the
ratio; the start-up time of a fresh process that imports ``privault.dlp`` and analyses one
line; and per-type precision/recall on the labelled evaluation set (tests/dlp_eval). One
process, one core: the figures are per core.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dlp_eval.generate import build_eval_set, score  # noqa: E402
from privault.common.checksums import luhn_valid  # noqa: E402
from privault.dlp import FileScanner, Scanner  # noqa: E402

FLOOR_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PRESIDIO_TYPES = {
    "CREDIT_CARD": "card", "PHONE_NUMBER": "phone", "EMAIL_ADDRESS": "email",
    "IBAN_CODE": "iban", "IP_ADDRESS": "ip_address", "US_SSN": "us_ssn", "UK_NINO": "uk_nino",
    "ES_NIF": "es_dni", "IT_FISCAL_CODE": "it_fiscal_code", "IN_AADHAAR": "in_aadhaar",
}  # fmt: skip


def _card(rng: random.Random) -> str:
    prefix = rng.choice(("4", "51", "55", "2221", "2720", "37", "6011", "3530"))
    length = 15 if prefix == "37" else 16
    while True:
        number = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
        if luhn_valid(number):
            return number


def shop_log(size: int, seed: int) -> str:
    """About ``size`` characters of shop log lines: access logs, orders, payments, support."""
    rng = random.Random(seed)
    fake = Faker(["en_US", "de_DE", "fr_FR", "en_GB"])
    fake.seed_instance(seed)
    emails = [fake.email() for _ in range(400)]
    phones = [fake.phone_number() for _ in range(200)]
    addresses = [fake.street_address() for _ in range(200)]
    agents = [fake.user_agent() for _ in range(50)]
    ips = [fake.ipv4_public() for _ in range(300)]
    lines: list[str] = []
    total = 0
    clock = 1_714_550_400.0
    key_chars = "abcdefghijkmnpqrstuvwxyzABCDEFGH23456789"
    r = rng.randint
    while total < size:
        clock += rng.random() * 2
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(clock)) + f".{r(0, 999):03d}Z"
        order = f"ORD-2024-{r(0, 999999):06d}"
        session = uuid.UUID(int=rng.getrandbits(128))
        kind = rng.random()
        if kind < 0.35:
            line = (
                f'{rng.choice(ips)} - - [{stamp}] "GET /api/v1/products/SKU-{r(10000, 99999)}'
                f'?page={r(1, 40)} HTTP/1.1" {rng.choice((200, 200, 304, 404))} '
                f'{r(200, 90000)} "-" "{rng.choice(agents)}" {rng.random():.3f}'
            )
        elif kind < 0.50:
            line = (
                f"{stamp} INFO checkout order_id={order} customer={rng.choice(emails)} "
                f"total={r(5, 900)}.{r(0, 99):02d} EUR items={r(1, 9)} session={session}"
            )
        elif kind < 0.62:
            line = (
                f"{stamp} INFO payment intent=pi_{rng.getrandbits(96):024x} "
                f"amount={r(500, 90000)} currency=EUR card=************{r(1000, 9999)} "
                "status=succeeded"
            )
        elif kind < 0.64:
            line = (
                f"{stamp} DEBUG payment request card_number={_card(rng)} "
                f"exp={r(1, 12):02d}/{r(25, 31)} cvv={r(100, 999)} order={order}"
            )
        elif kind < 0.72:
            line = (
                f'{stamp} INFO shipment {order} to "{rng.choice(addresses)}" '
                f"phone={rng.choice(phones)} carrier=DHL tracking=JJD{r(10**13, 10**14)}"
            )
        elif kind < 0.80:
            line = (
                f"{stamp} INFO support ticket #{r(10000, 99999)} from {rng.choice(emails)}: "
                f'"{fake.sentence()} Call me at {rng.choice(phones)}."'
            )
        elif kind < 0.88:
            line = (
                f"{stamp} INFO stock sku=SKU-{r(10000, 99999)} ean={r(10**12, 10**13)} "
                f"qty={r(0, 500)} warehouse=WH-{r(1, 9)} build=2.{r(0, 40)}.{r(0, 9)}"
            )
        elif kind < 0.95:
            line = (
                f"{stamp} WARN login failed user={rng.choice(emails)} ip={rng.choice(ips)} "
                f"attempts={r(1, 9)} ts={int(clock)}"
            )
        elif kind < 0.97:
            line = (
                f"{stamp} ERROR db timeout after {r(1000, 30000)}ms query_id={session} "
                f"retry={r(1, 5)}"
            )
        else:
            secret = "".join(rng.choice(key_chars) for _ in range(32))
            line = f"{stamp} DEBUG refund {order} iban={fake.iban()} api_key={secret}"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def json_lines(text: str) -> str:
    """The same events as JSON Lines records (one field per key=value pair)."""
    records = []
    for line in text.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        fields["message"] = line[:80]
        records.append(json.dumps(fields))
    return "\n".join(records) + "\n"


def best_mbps(run: Callable[[], object], size: int, repeat: int = 3) -> float:
    """Megabytes per second of the fastest of ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return size / best / 1e6


def presidio_recognizers() -> list[object] | None:
    """Presidio's recognizers that need no NLP model (its regex-only engine), if installed."""
    try:
        from presidio_analyzer import RecognizerRegistry
    except ImportError:
        return None
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers()
    return [
        r
        for r in registry.recognizers
        if "Spacy" not in type(r).__name__
        and "Stanza" not in type(r).__name__
        and "Transformers" not in type(r).__name__
    ]


def presidio_analyze(recognizers: list[object], text: str) -> list[tuple[str, int, int]]:
    """Run every regex-only recognizer over ``text``; (type, start, end) per result."""
    found = []
    for recognizer in recognizers:
        for result in recognizer.analyze(text, recognizer.supported_entities, None):  # type: ignore[attr-defined]
            found.append(
                (
                    PRESIDIO_TYPES.get(result.entity_type, result.entity_type.lower()),
                    result.start,
                    result.end,
                )
            )
    return found


def startup_seconds() -> float:
    """Wall time of a fresh interpreter that imports privault.dlp and analyses one line."""
    code = "import privault.dlp as d; d.analyze('order 1 paid by jo@example.com, +44 20 7946 0018')"
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def accuracy_table(scanner: Scanner, recognizers: list[object] | None) -> None:
    """Per-type precision and recall on the evaluation set (and Presidio's, when installed)."""
    samples = build_eval_set()
    ours, inside = score(samples, lambda t: [(f.type, f.start, f.end) for f in scanner.analyze(t)])
    theirs = None
    if recognizers is not None:
        theirs, their_inside = score(samples, lambda t: presidio_analyze(recognizers, t))
    print(f"\naccuracy on {len(samples)} labelled lines (8 locales, hard negatives)")
    header = f"  {'type':16} {'P':>7} {'R':>7}   n"
    print(header + ("   presidio P / R" if theirs is not None else ""))
    for pii_type in sorted(ours):
        entry = ours[pii_type]
        line = (
            f"  {pii_type:16} {entry.precision:7.4f} {entry.recall:7.4f} {entry.tp + entry.fn:4d}"
        )
        if theirs is not None and pii_type in theirs:
            other = theirs[pii_type]
            line += f"   {other.precision:7.4f} / {other.recall:.4f}"
        print(line)
    print(
        f"  phone findings inside an IP, SSN or card: {inside}"
        + (f" (presidio: {their_inside})" if theirs is not None else "")
    )


def main() -> None:
    """Run every measurement and print the figures with their floors and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    text = shop_log(int(args.size_mb * 1_000_000), args.seed)
    size = len(text.encode())
    scanner = Scanner()
    findings = scanner.analyze(text)
    engine = best_mbps(lambda: scanner.analyze(text), size)
    floor = best_mbps(lambda: sum(1 for _ in FLOOR_PATTERN.finditer(text)), size)
    print(f"shop log: {size / 1e6:.2f} MB, {text.count(chr(10))} lines, {len(findings)} findings")
    print(f"  privault, all regex detectors   {engine:8.2f} MB/s  (target >= 1 MB/s per core)")
    print(
        f"  floor, one compiled regex pass  {floor:8.2f} MB/s  engine/floor = {engine / floor:.3f}"
    )
    recognizers = presidio_recognizers()
    if recognizers is None:
        print("  presidio regex-only             not installed (pip install presidio-analyzer)")
    else:
        presidio = best_mbps(lambda: presidio_analyze(recognizers, text), size, repeat=1)
        print(
            f"  presidio regex-only             {presidio:8.3f} MB/s  privault/presidio = "
            f"{engine / presidio:.0f}x (target >= 40x)"
        )
    # Line by line, as a logging filter sees it (on a slice, to keep Presidio's run short).
    lines = text[:200_000].splitlines()
    lines_size = sum(len(line.encode()) for line in lines)
    per_line = best_mbps(lambda: [scanner.analyze(line) for line in lines], lines_size)
    print(f"per line ({len(lines)} lines): privault {per_line:.2f} MB/s", end="")
    if recognizers is not None:

        def presidio_lines() -> None:
            for line in lines:
                presidio_analyze(recognizers, line)

        presidio_per_line = best_mbps(presidio_lines, lines_size, repeat=1)
        print(f", presidio {presidio_per_line:.3f} MB/s, ratio {per_line / presidio_per_line:.0f}x")
    else:
        print()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "events.jsonl")
        path.write_text(json_lines(text))
        jsonl_size = path.stat().st_size
        files = FileScanner(scanner)
        jsonl = best_mbps(lambda: sum(1 for _ in files.scan_file(path)), jsonl_size)
        raw = path.read_text()
        jsonl_floor = best_mbps(lambda: sum(1 for _ in FLOOR_PATTERN.finditer(raw)), jsonl_size)
    print(f"JSON Lines: {jsonl_size / 1e6:.2f} MB")
    print(f"  privault, field-aware scan      {jsonl:8.2f} MB/s")
    ratio = jsonl / jsonl_floor
    print(f"  floor, one compiled regex pass  {jsonl_floor:8.2f} MB/s  scan/floor = {ratio:.3f}")
    print(f"start-up (fresh process, import + one line): {startup_seconds():.3f} s (target < 1 s)")
    accuracy_table(scanner, recognizers)


if __name__ == "__main__":
    main()
