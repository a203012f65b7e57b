"""Search-result snippets as HTML: the text around the best match, escaped, with the matches in <mark>.

They are part of the JSON API's answer as well as of the pages, so the escaping happens here, once.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from indexer.normalize import single_spaced

SNIPPET_CHARS = 140
SNIPPET_LEAD = 30


def highlight_pattern(strings: Sequence[str]) -> re.Pattern | None:
    """One pattern for the strings a search found, longest first; None if there are none."""
    # Whitespace may sit between any two characters in PDF-derived text, so let it.
    alternatives = [r"\s*".join(re.escape(char) for char in s if not char.isspace()) for s in strings]
    alternatives = sorted((a for a in alternatives if a), key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def highlight(text: str, pattern: re.Pattern | None) -> str:
    """HTML-escaped text with every match wrapped in <mark>; escaping happens piece by piece."""
    if pattern is None:
        return html.escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def _first_longest_match(text: str, pattern: re.Pattern | None) -> re.Match | None:
    """Where the snippet window goes: the first occurrence of the longest highlighted string."""
    if pattern is None:
        return None
    matches = list(pattern.finditer(text))
    longest = max((len(m.group(0)) for m in matches), default=0)
    return next((m for m in matches if len(m.group(0)) == longest), None)


def make_snippet(text: str, pattern: re.Pattern | None, width: int = SNIPPET_CHARS) -> str:
    """About width characters of the text around the first longest match, escaped, matches marked."""
    text = single_spaced(text)
    start = 0
    match = _first_longest_match(text, pattern)
    if match:
        start = max(0, match.start() - SNIPPET_LEAD)
    window = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return html.escape(prefix) + highlight(window, pattern) + html.escape(suffix)
