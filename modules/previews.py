"""Previews of data files: tables for CSV/TSV, pretty JSON/YAML, image thumbnails.

Previews read only the start of a file (a table needs 50 rows, not a gigabyte), and
thumbnails are made once per content (the cache key is the blob or LFS object id, so a
thumbnail never goes stale) and kept under ``DATA_DIR/thumbnails``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from .content import FileContent

TABLE_ROWS = 50
TABLE_SAMPLE_BYTES = 1024 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}
THUMBNAIL_SIZES = {"small": 160, "large": 800}
MAX_THUMBNAIL_SOURCE = 64 * 1024 * 1024
csv.field_size_limit(TABLE_SAMPLE_BYTES)


class PreviewError(Exception):
    """The file cannot be previewed this way; the message says why."""


def suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def is_image(path: str) -> bool:
    return suffix(path) in IMAGE_SUFFIXES


def is_table(path: str) -> bool:
    return suffix(path) in TABLE_SUFFIXES


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    columns: int
    row_estimate: int
    exact: bool  # the whole file was read, so row_estimate is the row count


def table(content: FileContent) -> Table:
    """The first rows of a CSV/TSV file, the column count and an estimate of all rows."""
    sample = content.head(TABLE_SAMPLE_BYTES)
    whole = len(sample) >= content.size
    if not whole:
        sample = sample[: sample.rfind(b"\n") + 1] or sample  # drop the cut-off last line
    text = sample.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=TABLE_SUFFIXES.get(suffix(content.path), ","))
    try:
        records = list(reader)
    except csv.Error as error:
        raise PreviewError(f"Not a readable table: {error}") from None
    if not records:
        return Table([], [], 0, 0, whole)
    header, body = records[0], records[1:]
    if whole:
        estimate = len(body)
    else:
        per_row = max(len(sample) / max(len(records), 1), 1)
        estimate = int(content.size / per_row) - 1
    return Table(
        header=header,
        rows=body[:TABLE_ROWS],
        columns=max(len(row) for row in records[: TABLE_ROWS + 1]),
        row_estimate=estimate,
        exact=whole,
    )


def pretty_structured(path: str, data: bytes) -> str | None:
    """JSON re-indented; YAML checked and shown as written. None when it does not parse."""
    text = data.decode("utf-8", errors="replace")
    if suffix(path) == ".json":
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            return None
    if suffix(path) in (".yml", ".yaml"):
        try:
            list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            return None
        return text
    return None


def thumbnail_dir() -> Path:
    return Path(settings.DATA_DIR) / "thumbnails"


def thumbnail(content: FileContent, size_name: str = "small") -> Path:
    """A PNG no larger than the named size, made on first request and cached by content."""
    pixels = THUMBNAIL_SIZES[size_name]
    target = thumbnail_dir() / size_name / f"{content.cache_key}.png"
    if target.exists():
        return target
    if content.size > MAX_THUMBNAIL_SOURCE:
        raise PreviewError("The image is too large for a thumbnail.")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    temp = Path(temp_name)
    try:
        with content.open(MAX_THUMBNAIL_SOURCE) as source, Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((pixels, pixels))
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            image.save(temp, format="PNG")
        os.replace(temp, target)  # atomic: a concurrent request sees a whole file or none
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as error:
        raise PreviewError(f"Not a readable image: {error}") from None
    finally:
        temp.unlink(missing_ok=True)
    return target
