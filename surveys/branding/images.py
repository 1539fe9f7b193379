"""What an uploaded image is, read from its bytes (never from its name or the browser's content type):
PNG, JPEG or WebP, and its dimensions from the format's own header. No Pillow (not installed), no SVG (an SVG
is a document that can carry script). Decoding the whole image is not needed: the browser does it, and a
truncated image only shows broken, it cannot reach anyone's data."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 256 * 1024
MAX_SIDE = 2000  # pixels; a logo shows at a few hundred at most

PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
CONTENT_TYPES = (PNG, JPEG, WEBP)

# The start-of-frame markers that carry a JPEG's size (every SOFn but DHT C4, JPG C8 and DAC CC).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


class ImageError(ValueError):
    pass


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def _png(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageError("a PNG without its header (IHDR)")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ImageError("a damaged JPEG (no marker where one should be)")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2:
            raise ImageError("a damaged JPEG (a segment shorter than its header)")
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                break
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        if marker == 0xDA:  # image data before any frame header
            break
        i += 2 + length
    raise ImageError("a JPEG without a frame header (its size is unknown)")


def _webp(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return (int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    raise ImageError("a WebP without a known image header")


def inspect(data: bytes) -> ImageInfo:
    """The image's type and size, or :class:`ImageError` saying why it is not an accepted logo."""
    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageError(f"at most {MAX_BYTES // 1024} KB")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        content_type, (width, height) = PNG, _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        content_type, (width, height) = JPEG, _jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        content_type, (width, height) = WEBP, _webp(data)
    else:
        raise ImageError("a PNG, JPEG or WebP image only (told by its content, not its name; no SVG)")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ImageError(f"at most {MAX_SIDE} x {MAX_SIDE} pixels (this one is {width} x {height})")
    return ImageInfo(content_type, width, height)
