"""Plain text helpers for the handout: its reading grade, and text the PDF's fonts can show."""

from __future__ import annotations

import re
import unicodedata


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate for readability formulas."""
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and not word.endswith("le") else 0)
    return max(1, count)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade level of the text (US school grade)."""
    sentences = max(1, len(re.findall(r"[.!?]+(?:\s|$)", text)))
    words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text)
    if not words:
        return 0.0
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def latin1(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1: keep what fits, spell out or drop the rest."""
    text = text.translate(
        {
            0x2018: "'",
            0x2019: "'",
            0x201C: '"',
            0x201D: '"',
            0x2013: "-",
            0x2014: "-",
            0x2026: "...",
        }
    )
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        else:
            plain = (
                unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            )
            out.append(plain or "?")
    return "".join(out)
