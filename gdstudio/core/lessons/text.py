"""The texts of a lesson: a tiny, safe Markdown subset, read into blocks of styled spans.

What a lesson's text may use (everything else is shown literally, as typed):

- paragraphs, separated by blank lines; a line break inside a paragraph is a space in HTML
  (prose wrapped in the file flows to the panel's width) and kept in :func:`plain_text`;
- formulas: lines indented by four spaces (or a tab) after a blank line, each kept on its own
  line as typed (their numbers are checked like the prose's);
- list items: lines starting with ``- `` or ``* `` (bullets) or ``1. `` (numbered);
- code: a fenced block between two lines of three backticks, or inline between backticks;
- ``**bold**`` and ``*italic*`` inside a line.

The window never shows a lesson's text as rich text from the file: it shows :func:`plain_text`,
or draws :func:`blocks` itself, or shows :func:`to_html`, whose every character of the file is
HTML-escaped (only the tags made here are markup).

Numbers as a person writes them (``4.56``, ``−3``, ``1e-6``, ``10⁻⁶``, ``2.5×10⁻³``,
``100,000``) are read by :func:`read_number`, for answers and for the numbers a check shows.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

__all__ = ["Span", "Block", "blocks", "plain_text", "to_html", "read_number", "number_tokens"]

SPAN_STYLES = ("plain", "bold", "italic", "code")
BLOCK_KINDS = ("paragraph", "bullet", "numbered", "code", "formula")


@dataclass(frozen=True)
class Span:
    """A run of text in one style: plain, bold, italic or code."""

    text: str
    style: str = "plain"


@dataclass(frozen=True)
class Block:
    """A paragraph, a list item (bullet, numbered: ``number``) or a code block."""

    kind: str
    spans: tuple[Span, ...]
    number: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


_INDENTED = re.compile(r"^(?: {4}|\t)\s*\S")
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^(\d{1,6})[.)]\s+(.*)$")
_INLINE = re.compile(r"`([^`\n]+)`|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")


def spans(line: str) -> tuple[Span, ...]:
    """The inline styles of ``line`` (code, bold, italic); unmatched markers stay as typed."""
    out: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(line):
        if m.start() > pos:
            out.append(Span(line[pos : m.start()]))
        if m.group(1) is not None:
            out.append(Span(m.group(1), "code"))
        elif m.group(2) is not None:
            out.append(Span(m.group(2), "bold"))
        else:
            out.append(Span(m.group(3), "italic"))
        pos = m.end()
    if pos < len(line):
        out.append(Span(line[pos:]))
    return _merge(out)


def _merge(parts: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for p in parts:
        if out and out[-1].style == p.style:
            out[-1] = Span(out[-1].text + p.text, p.style)
        elif p.text:
            out.append(p)
    return tuple(out)


def blocks(text: str) -> tuple[Block, ...]:
    """``text`` as blocks: paragraphs, list items and code blocks, with their inline spans."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            joined: list[Span] = []
            for i, line in enumerate(para):
                if i:
                    joined.append(Span("\n"))
                joined.extend(spans(line))
            out.append(Block("paragraph", _merge(joined)))
            para.clear()

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i].rstrip())
                i += 1
            out.append(Block("code", (Span("\n".join(code), "code"),) if code else ()))
            i += 1
            continue
        if stripped and not para and _INDENTED.match(line):
            formula: list[Span] = []
            while i < len(lines) and _INDENTED.match(lines[i].rstrip()):
                if formula:
                    formula.append(Span("\n"))
                formula.extend(spans(lines[i].strip()))
                i += 1
            out.append(Block("formula", _merge(formula)))
            continue
        if not stripped:
            flush()
        elif (b := _BULLET.match(stripped)) is not None:
            flush()
            out.append(Block("bullet", spans(b.group(1))))
        elif (n := _NUMBERED.match(stripped)) is not None:
            flush()
            out.append(Block("numbered", spans(n.group(2)), int(n.group(1))))
        else:
            para.append(stripped)
        i += 1
    flush()
    return tuple(out)


def plain_text(text: str) -> str:
    """``text`` without its markup, for a plain-text label: list items keep "• " or "1. "."""
    parts = []
    for b in blocks(text):
        body = b.text
        if b.kind == "bullet":
            body = "• " + body
        elif b.kind == "numbered":
            body = f"{b.number}. " + body
        parts.append(body)
    return "\n\n".join(parts)


def to_html(text: str) -> str:
    """``text`` as HTML in which everything from the file is escaped; only the subset's
    structure (paragraphs, lists, code, bold, italic) is markup."""
    tags = {"bold": ("<b>", "</b>"), "italic": ("<i>", "</i>"), "code": ("<code>", "</code>"),
            "plain": ("", "")}

    def inline(b: Block) -> str:
        brk = "<br>" if b.kind == "formula" else " "  # (a paragraph's line break: a space)
        return "".join(tags[s.style][0] + html.escape(s.text).replace("\n", brk)
                       + tags[s.style][1] for s in b.spans)

    out: list[str] = []
    open_list = ""
    for b in blocks(text):
        want = {"bullet": "ul", "numbered": "ol"}.get(b.kind, "")
        if want != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if want:
                out.append(f"<{want}>")
            open_list = want
        if b.kind == "code":
            out.append("<pre>" + html.escape(b.text) + "</pre>")
        elif want:
            out.append("<li>" + inline(b) + "</li>")
        elif b.kind == "formula":
            out.append('<p style="margin-left: 1.5em;">' + inline(b) + "</p>")
        else:
            out.append("<p>" + inline(b) + "</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Numbers as written
# --------------------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_MINUS = str.maketrans({"−": "-", "–": "-", "\u2009": "", "\u202f": "", "\u00a0": ""})
_PLAIN = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?$"
                    r"|^[-+]?\.\d+(?:[eE][-+]?\d+)?$")
_POWER = re.compile(r"^(?:(?P<m>[-+]?\d+(?:\.\d*)?)\s*[×x·*]\s*)?"
                    r"(?P<s>[-+]?)10(?P<e>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)$")

#: A number in running text: 4.56, −3, 1e-6, 100,000, 10⁻⁶, 2.5×10⁻³ (what :func:`read_number`
#: reads). Not a digit inside a word (x1, f2) or after a dot.
NUMBER_IN_TEXT = re.compile(
    r"(?<![\w.,])[-−]?(?:\d+(?:\.\d+)?\s*[×·]\s*)?10[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
    r"|(?<![\w.,])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-−+]?\d+)?(?![\w])"
)


def read_number(text: str) -> float:
    """A number as a person writes it. Raises ValueError (with a reason) if it is none."""
    s = str(text).strip().translate(_MINUS)
    if not s:
        raise ValueError("type a number")
    m = _POWER.match(s)
    if m:
        exponent = int(m.group("e").translate(_SUPERSCRIPT))
        mantissa = float(m.group("m")) if m.group("m") else 1.0
        value = mantissa * 10.0**exponent
        return -value if m.group("s") == "-" else value
    if not _PLAIN.match(s):
        raise ValueError(f"{text.strip()!r} is not a number (write it like 4.56, -3 or 1e-6)")
    value = float(s.replace(",", ""))
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def decimals_of(text: str) -> tuple[str, int]:
    """How precisely ``text`` states a number: ("decimals", n) for fixed notation (digits after
    the point), ("significant", n) for e-notation or a power of ten."""
    s = str(text).strip().translate(_MINUS).replace(",", "")
    m = _POWER.match(s)
    if m:
        return "significant", _digits(m.group("m") or "1")
    if "e" in s.lower():
        return "significant", _digits(s.lower().split("e")[0])
    if "." in s:
        return "decimals", len(s.split(".")[1])
    return "decimals", 0


def _digits(mantissa: str) -> int:
    return len(mantissa.replace("-", "").replace("+", "").replace(".", "").lstrip("0")) or 1


def rounds_to(value: float, shown: str) -> bool:
    """Whether ``value`` rounded as precisely as ``shown`` states it is ``shown``."""
    target = read_number(shown)
    kind, n = decimals_of(shown)
    if not math.isfinite(value):
        return False
    if kind == "decimals":
        half = 0.5 * 10.0**-n
    else:
        exp = math.floor(math.log10(abs(target))) if target else 0
        half = 0.5 * 10.0 ** (exp - n + 1)
    # a hair of slack for the decimal reading of the binary value (4.56 is 4.5600000000000005)
    return abs(value - target) <= half * (1 + 1e-9) + 1e-15 * abs(target)


def number_tokens(text: str) -> list[str]:
    """The numbers in running text (outside code), as written: for checking a lesson."""
    out: list[str] = []
    for b in blocks(text):
        if b.kind == "code":
            continue
        for s in b.spans:
            if s.style != "code":
                out.extend(m.group(0) for m in NUMBER_IN_TEXT.finditer(s.text))
    return out
