"""The redacting logging filter never lets a canary card number or e-mail address through."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from privault.dlp import Redactor
from privault.dlp.logging import RedactingFilter

CARD = "2223 0031 2200 3222"
CARD_DIGITS = CARD.replace(" ", "")
EMAIL = "canary.customer@example.org"


class _JsonExtras(logging.Formatter):
    """A formatter that writes extra fields too, as structured-logging setups do."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        return base + " " + json.dumps({"customer": getattr(record, "customer", None)})


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler writes through the redacting filter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonExtras("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.dlp.canary")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def _assert_clean(output: str) -> None:
    assert CARD not in output
    assert CARD_DIGITS not in output
    assert EMAIL not in output


def test_message_arguments_are_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """Values passed as ``%`` arguments are redacted after formatting."""
    logger, stream = captured
    logger.info("charged %s for %s", CARD, EMAIL)
    assert stream.getvalue() == 'INFO charged [CARD] for [EMAIL] {"customer": null}\n'


def test_literal_message_is_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """Values written straight into the message are redacted."""
    logger, stream = captured
    logger.warning(f"card={CARD_DIGITS} email={EMAIL}")
    _assert_clean(stream.getvalue())


def test_exception_text_is_redacted(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """A traceback whose exception message holds personal data is redacted."""
    logger, stream = captured
    try:
        raise ValueError(f"payment failed for {EMAIL} with {CARD}")
    except ValueError:
        logger.exception("checkout error")
    output = stream.getvalue()
    _assert_clean(output)
    assert "ValueError: payment failed for [EMAIL] with [CARD]" in output


def test_stack_info_and_extra_fields_are_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    """Stack info and string fields passed through ``extra`` are redacted."""
    logger, stream = captured
    logger.info("lookup", stack_info=True, extra={"customer": EMAIL})
    _assert_clean(stream.getvalue())


def test_bad_format_string_does_not_leak_arguments(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    """A message whose arguments do not fit its format string still leaks nothing."""
    logger, stream = captured
    logger.error("two %s %s", EMAIL)  # noqa: PLE1206 - the mismatch is what is tested
    output = stream.getvalue()
    _assert_clean(output)
    assert "withheld" in output


def test_filter_keeps_every_record(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """The filter redacts but never drops a record."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain text", None, None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "plain text"


def test_custom_redactor_is_used() -> None:
    """A filter built with a mask redactor masks instead of labelling."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "card %s", (CARD,), None)
    RedactingFilter(redactor=Redactor("mask")).filter(record)
    assert record.getMessage() == "card **** **** **** 3222"
