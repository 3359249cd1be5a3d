"""Turning repository content into safe HTML: Markdown READMEs and highlighted source."""

from __future__ import annotations

import markdown
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

MAX_RENDERED_BYTES = 1024 * 1024
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
