"""Keep fødselsnummer out of logs, spans and error texts, whatever code path produced them."""

from __future__ import annotations

import logging
import re

# Eleven digits in a row is what a fødselsnummer, D-number or FH-number looks like.
_PERSON_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{5}(?!\d)")


def redact(text: str) -> str:
    return _PERSON_NUMBER.sub(r"\1*****", text)


class RedactingFilter(logging.Filter):
    """Masks person numbers in every log record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
