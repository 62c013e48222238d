"""Text shown to the user: one readable line, safe for a terminal, of a readable length.

A file name may hold a newline (it could forge an `error:` line), an ESC (it could retitle or
clear the terminal), a bidi override or an undecodable byte; a value from a hostile file may be
ten megabytes long. Everything the CLI prints about names and errors goes through these.
"""
from __future__ import annotations

import unicodedata

MAX_MESSAGE = 300
MAX_VALUE = 60

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, bidi/format, surrogates, line separators


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_controls(text: str) -> str:
    """`text` with control, format (bidi), surrogate and unassigned characters written as escapes."""
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in _UNSAFE else ch
                   for ch in text)


def cut(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` shortened to `limit` characters by an ellipsis in the middle (the cause is at the end)."""
    if len(text) <= limit:
        return text
    tail = max(limit // 3, 1)
    head = max(limit - tail - 1, 0)
    return f"{text[:head]}…{text[-tail:]}"


def one_line(text: object, limit: int = MAX_MESSAGE) -> str:
    """A message as one escaped line of at most `limit` characters."""
    return cut(escape_controls(cut(str(text), 2 * limit)), limit)


def show_value(value: object, limit: int = MAX_VALUE) -> str:
    """A value quoted into a message: its repr, escaped and cut short."""
    try:
        text = repr(value)
    except ValueError:  # an int over Python's 4,300-digit limit cannot be printed
        return "<an integer too long to show>"
    except Exception:  # a repr that fails still gets a name
        return f"<{type(value).__name__}>"
    if isinstance(value, int) and len(text) > limit:
        return f"<an integer of {len(text)} digits>"
    return cut(escape_controls(cut(text, 2 * limit)), limit)


def show_name(name: object, limit: int = 200) -> str:
    """A file name or path for a message: escaped, and cut when absurdly long."""
    return cut(escape_controls(cut(str(name), 2 * limit)), limit)
