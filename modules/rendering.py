"""Turning repository content into safe HTML (Markdown READMEs, highlighted source) and into
downloads streamed in chunks."""

from __future__ import annotations

import markdown
import nh3
from django.http import StreamingHttpResponse
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from .repository import BlobStream

MAX_RENDERED_BYTES = 1024 * 1024
MARKDOWN_SUFFIXES = (".md", ".markdown")
README_NAMES = ("readme.md", "readme.markdown", "readme.txt", "readme")


def render_markdown(text: str) -> str:
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "sane_lists"])
    return nh3.clean(html)


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:8000]


def highlight_source(path: str, data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    try:
        lexer = get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False)
    return highlight(text, lexer, HtmlFormatter(linenos="table", cssclass="source"))


def pygments_css() -> str:
    """The highlighting styles; served as static/css/pygments.css (the CSP allows no inline
    <style>), which a test keeps equal to this."""
    return HtmlFormatter(cssclass="source").get_style_defs(".source")


def blob_response(blob: BlobStream) -> StreamingHttpResponse:
    """A file download streamed in chunks, typed by its first chunk, never sniffed by browsers."""
    binary = is_binary(blob.head)
    content_type = "application/octet-stream" if binary else "text/plain; charset=utf-8"
    response = StreamingHttpResponse(blob, content_type=content_type)
    response["Content-Length"] = str(blob.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response
