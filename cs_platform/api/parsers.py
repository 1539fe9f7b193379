"""Body parsers of the bulk endpoints: JSON arrays and NDJSON, both bounded to ``MAX_BODY_BYTES``.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards only ``request.body``; DRF parsers read the stream
directly, so the byte limit of API.md (1 MB per request) is enforced here, before anything is decoded.

Bodies are decoded by orjson (~4x faster than the standard library on a 1,000-event body, a large part of
an ingestion request); whatever orjson refuses is decoded again by ``json``, so the answers are exactly
the standard library's: its error messages, and the few inputs it accepts and orjson does not (UTF-16/32
bodies, a BOM, NaN/Infinity (refused either way), escaped lone surrogates, which item validation then
rejects). orjson also reads an integer beyond 64 bits (from -9223372036854775809 down, 19 digits) as a
float where ``json`` keeps it exact, so that item validation can refuse it; a body with a run of 19
digits or more goes to ``json`` directly.

Nesting is bounded to ``MAX_DEPTH``: orjson refuses beyond 1,024 levels, but the standard library then
recurses until ``RecursionError``, and even 1,000 levels that parse break later readers (copying,
validation, the JSON encoder that stores ``properties``), all recursive. Deeper input is a 400 naming
``body`` (or, in NDJSON, the line).
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

import orjson
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

from cs_platform.bulk import BulkResult

MAX_BODY_BYTES = 1024 * 1024
# Levels of arrays/objects, the body's own array included: a bulk body is array > item > properties > ...
MAX_DEPTH = 32
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"


class PayloadTooLarge(APIException):
    """413 in the API's error shape; the detail names ``body`` so clients see which input was refused."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, message: str) -> None:
        super().__init__({"body": [message]})


def read_bounded(stream: Any, parser_context: dict | None) -> bytes:
    """The whole body, or 413 as soon as it is known to pass ``MAX_BODY_BYTES``."""
    too_large = f"the body must not exceed {MAX_BODY_BYTES} bytes"
    request = (parser_context or {}).get("request")
    if request is not None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_BODY_BYTES:
            raise PayloadTooLarge(too_large)  # refuse without reading what the client declared as too big
    if stream is None:
        return b""
    # One byte more than allowed tells "exactly at the limit" from "over it" for chunked bodies.
    data = stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(too_large)
    return data


class BoundedJSONParser(BaseParser):
    """``application/json`` within ``MAX_BODY_BYTES``. Not a ``JSONParser`` subclass on purpose: DRF hands
    those ``request.body``, read whole before any parser could refuse it; others get the raw stream."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        raw = read_bounded(stream, parser_context)
        try:
            return _loads(raw, long_digits=_has_long_digits(raw))
        except ValueError as exc:  # also UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None


class NDJSONItems(list):
    """The objects of an NDJSON body, in order. A line that is not JSON stays in place (as ``None``)
    so that every later item keeps its index, and its error waits in ``invalid_lines``."""

    def __init__(self, items: list[Any], invalid_lines: dict[int, str]) -> None:
        super().__init__(items)
        self.invalid_lines = invalid_lines


class NDJSONParser(BaseParser):
    """``application/x-ndjson``: one JSON value per line. Blank lines are skipped and do not count as
    items, so ``index`` in the answer is the position among non-blank lines (0-based)."""

    media_type = "application/x-ndjson"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> NDJSONItems:
        raw = read_bounded(stream, parser_context)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"NDJSON must be UTF-8: {exc}") from None
        long_digits = _has_long_digits(raw)
        items: list[Any] = []
        invalid: dict[int, str] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                # A line is an item: one level down, as inside a JSON array body.
                items.append(_loads(line, long_digits=long_digits, depth=MAX_DEPTH - 1))
            except ValueError as exc:
                invalid[len(items)] = f"this line is not valid JSON: {exc}"
                items.append(None)
        return NDJSONItems(items, invalid)


# A run of 19 digits may pass 64 bits (-9223372036854775809 has 19); one inside a string merely takes the
# slower path. bytes.translate + ``in`` finds one in ~0.1 ms per MB, where a regular expression takes ~10 ms.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGITS = b"0" * 19


def _has_long_digits(raw: bytes) -> bool:
    return _LONG_DIGITS in raw.translate(_DIGITS_AS_ZEROS)


def _loads(text: bytes | str, *, long_digits: bool, depth: int = MAX_DEPTH) -> Any:
    if not long_digits:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc) or "recursion" in str(exc).lower():
                raise ValueError(TOO_DEEP) from None
            # otherwise the standard library decides (and words the error): see the module docstring
        else:
            return _bounded_depth(value, depth)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    return _bounded_depth(value, depth)


def _bounded_depth(value: Any, limit: int) -> Any:
    """``value``, or ValueError when its arrays/objects nest more than ``limit`` levels. Level by level,
    so the check itself cannot recurse; ~1.4 ms for a 1,000-event body (a walk with a stack took 3)."""
    if type(value) is not list and type(value) is not dict:
        return value
    level = [value]
    for _ in range(limit):
        values = chain.from_iterable([node.values() if type(node) is dict else node for node in level])
        level = [child for child in values if type(child) is dict or type(child) is list]
        if not level:
            return value
    raise ValueError(TOO_DEEP)


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; DRF's JSONParser refuses them too, so both formats agree.
    raise ValueError(f"{name} is not valid JSON")


def report_invalid_lines(items: Any, result: BulkResult) -> BulkResult:
    """Replace the service's generic rejection of an unparsable NDJSON line with the parse error."""
    invalid = getattr(items, "invalid_lines", None)
    if invalid:
        result.rejected = [r for r in result.rejected if r["index"] not in invalid]
        for index, message in invalid.items():
            result.reject(index, [{"field": None, "message": message}])
    return result
