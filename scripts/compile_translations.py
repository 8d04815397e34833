#!/usr/bin/env python3
"""Compile every locale/*/LC_MESSAGES/*.po into a .mo file, without GNU gettext.

``manage.py compilemessages`` needs ``msgfmt``; this script does the same job in pure Python so
that ``make setup`` works on a machine without gettext. It writes the GNU .mo format as
``msgfmt --no-hash`` does: fuzzy and untranslated entries are left out, obsolete (``#~``)
entries are ignored.

Usage: scripts/compile_translations.py [FILE.po ...]   (default: every catalogue under locale/)
"""

from __future__ import annotations

import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
MAGIC = 0x950412DE
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*)$")
ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "?": "?",
}
ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)")


class PoSyntaxError(ValueError):
    """A .po file this script cannot read."""


@dataclass
class Message:
    """One entry of a .po file."""

    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def key(self) -> str:
        """The original string as a .mo file stores it: context, EOT, msgid, NUL, plural msgid."""
        key = self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"
        return key if self.msgid_plural is None else f"{key}\0{self.msgid_plural}"

    @property
    def translation(self) -> str:
        """The translation as a .mo file stores it: plural forms joined with NUL."""
        return "\0".join(self.msgstr[n] for n in sorted(self.msgstr))

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str, where: str) -> str:
    """Decode one C-style quoted .po string, such as ``"a \\"b\\"\\n"``."""
    if len(text) < 2 or not text.startswith('"') or not text.endswith('"'):
        raise PoSyntaxError(f"{where}: expected a quoted string, got {text!r}")

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        if code in ESCAPES:
            return ESCAPES[code]
        raise PoSyntaxError(f"{where}: unknown escape \\{code}")

    return ESCAPE.sub(replace, text[1:-1])


def parse_po(text: str, name: str = "<po>") -> list[Message]:
    """Read the entries of a .po file (obsolete ``#~`` entries are skipped)."""
    messages: list[Message] = []
    current: Message | None = None
    section: tuple[str, int] | None = None  # which string a continuation line extends
    fuzzy_next = False

    def finish() -> None:
        nonlocal current, section
        if current is not None:
            if not current.msgstr:
                raise PoSyntaxError(f"{name}: entry {current.msgid!r} has no msgstr")
            messages.append(current)
        current, section = None, None

    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{name}:{lineno}"
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            if line.startswith("#,") and "fuzzy" in (flag.strip() for flag in line[2:].split(",")):
                fuzzy_next = True
            continue
        if line.startswith('"'):
            if current is None or section is None:
                raise PoSyntaxError(f"{where}: a string continues nothing")
            value = _unquote(line, where)
            kind, index = section
            if kind == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        match = KEYWORD.match(line)
        if not match:
            raise PoSyntaxError(f"{where}: cannot read {line!r}")
        keyword, index, quoted = match.groups()
        value = _unquote(quoted, where)
        if keyword in ("msgctxt", "msgid"):
            if current is not None and (current.msgstr or keyword == "msgctxt" or current.msgid_plural is not None):
                finish()
            if current is None:
                current = Message(fuzzy=fuzzy_next)
                fuzzy_next = False
            setattr(current, keyword, value)
            section = (keyword, 0)
        elif current is None:
            raise PoSyntaxError(f"{where}: {keyword} before msgid")
        elif keyword == "msgid_plural":
            current.msgid_plural = value
            section = ("msgid_plural", 0)
        else:
            n = int(index) if index is not None else 0
            if (index is None) == (current.msgid_plural is not None):
                raise PoSyntaxError(f"{where}: use msgstr[n] exactly when the entry has a msgid_plural")
            current.msgstr[n] = value
            section = ("msgstr", n)
    finish()
    return messages


def _charset(messages: list[Message]) -> str:
    header = next((m for m in messages if m.msgid == "" and m.msgctxt is None), None)
    found = re.search(r"charset=([\w.-]+)", header.translation) if header else None
    return found.group(1) if found and found.group(1).upper() != "CHARSET" else "utf-8"


def mo_bytes(messages: list[Message]) -> bytes:
    """Build a GNU .mo file (revision 0, no hash table) from the translated, non-fuzzy entries."""
    charset = _charset(messages)
    table: dict[bytes, bytes] = {}
    for message in messages:
        is_header = message.msgid == "" and message.msgctxt is None
        if (message.fuzzy and not is_header) or not message.is_translated:
            continue
        key = message.key.encode(charset)
        if key in table:
            raise PoSyntaxError(f"duplicate message {message.key!r}")
        translation = message.translation
        if is_header:  # like msgfmt, so that a new template date alone does not change the .mo
            translation = re.sub(r"^POT-Creation-Date:.*\n", "", translation, flags=re.MULTILINE)
        table[key] = translation.encode(charset)
    keys = sorted(table)  # byte order, as msgfmt sorts; the header (empty msgid) comes first
    count = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + count * 8
    strings_at = translations_at + count * 8  # the hash table, of size 0, would start here
    index: list[int] = []
    strings = bytearray()
    for data in [*keys, *(table[k] for k in keys)]:
        index += [len(data), strings_at + len(strings)]
        strings += data + b"\0"
    header = struct.pack("<7I", MAGIC, 0, count, originals_at, translations_at, 0, strings_at)
    return header + struct.pack(f"<{len(index)}I", *index) + bytes(strings)


def compile_po(po_path: Path) -> Path:
    """Write the .mo beside ``po_path`` and return its path."""
    text = po_path.read_bytes().decode("utf-8")
    messages = parse_po(text, str(po_path))
    charset = _charset(messages)
    if charset.lower().replace("-", "") != "utf8":
        messages = parse_po(po_path.read_bytes().decode(charset), str(po_path))
    mo_path = po_path.with_suffix(".mo")
    mo_path.write_bytes(mo_bytes(messages))
    return mo_path


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
    for po_path in paths:
        try:
            mo_path = compile_po(po_path)
        except (PoSyntaxError, UnicodeDecodeError, LookupError) as error:
            print(f"compile_translations: {error}", file=sys.stderr)
            return 1
        print(f"compiled {mo_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
