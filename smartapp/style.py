"""The EHR's `smart_style_url` document, reduced to a whitelist of safe CSS custom properties.

SMART App Launch 2.2 "App styling (experimental)": the EHR may send a JSON document of style
keys. It is untrusted input (smart.md 39): only known keys are kept, each value must match a
strict pattern for its kind (colour, length, font list), and nothing is ever copied into CSS
unchecked. A text/background pair below WCAG 2.1 AA contrast (4.5:1) is dropped, so the EHR's
colours can never make the app unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB = re.compile(
    r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*(?:0|1|0?\.\d{1,3})\s*)?\)"
)
_LENGTH = re.compile(r"(\d{1,2}(?:\.\d{1,3})?)(px|rem|em)")
_FONT_NAME = re.compile(
    r"[A-Za-z][A-Za-z0-9 \-]{0,40}|'[A-Za-z][A-Za-z0-9 \-]{0,40}'|\"[A-Za-z][A-Za-z0-9 \-]{0,40}\""
)

# SMART style key -> (CSS custom property of the app, kind of value).
KEYS: Mapping[str, tuple[str, str]] = {
    "color_background": ("--ff-bg", "color"),
    "color_text": ("--ff-text", "color"),
    "color_highlight": ("--ff-accent", "color"),
    "color_error": ("--ff-error", "color"),
    "color_success": ("--ff-success", "color"),
    "color_modal_backdrop": ("--ff-backdrop", "color"),
    "dim_border_radius": ("--ff-radius", "length"),
    "dim_font_size": ("--ff-font-size", "length"),
    "dim_spacing_size": ("--ff-space", "length"),
    "font_family_body": ("--ff-font-body", "font"),
    "font_family_heading": ("--ff-font-heading", "font"),
}
# Bounds keep an EHR from shrinking text below legibility or blowing up the layout.
_LENGTH_BOUNDS: Mapping[str, tuple[float, float]] = {
    "--ff-radius": (0.0, 16.0),
    "--ff-font-size": (12.0, 20.0),
    "--ff-space": (2.0, 24.0),
}
_MIN_CONTRAST = 4.5  # WCAG 2.1 1.4.3 (AA) for body text
_DEFAULT_TEXT = "#1b1f24"  # the app's own defaults (static/app.css)
_DEFAULT_BG = "#ffffff"


@dataclass(frozen=True, slots=True, kw_only=True)
class EhrStyle:
    """Validated CSS custom properties, and the keys that were refused (for the log)."""

    properties: tuple[tuple[str, str], ...]
    refused: tuple[str, ...]


def _color(value: str) -> tuple[float, float, float] | None:
    """Parse a hex or rgb() colour into 0..1 channels; None when it is not one."""
    if _HEX.fullmatch(value):
        digits = value[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    match = _RGB.fullmatch(value)
    if match and all(int(g) <= 255 for g in match.groups()[:3]):
        return tuple(int(g) / 255 for g in match.groups()[:3])  # type: ignore[return-value]
    return None


def contrast_ratio(first: str, second: str) -> float | None:
    """WCAG 2.1 contrast ratio of two colours (1..21); None when either is not a colour."""
    channels = (_color(first), _color(second))
    if channels[0] is None or channels[1] is None:
        return None

    def luminance(rgb: tuple[float, float, float]) -> float:
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(channels[0]), luminance(channels[1])), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _safe_value(prop: str, kind: str, raw: object) -> str | None:
    if not isinstance(raw, str) or len(raw) > 200:
        return None
    value = raw.strip()
    if kind == "color":
        return value if _color(value) is not None else None
    if kind == "length":
        match = _LENGTH.fullmatch(value)
        if not match:
            return None
        amount = float(match.group(1)) * (16.0 if match.group(2) != "px" else 1.0)
        low, high = _LENGTH_BOUNDS[prop]
        return value if low <= amount <= high else None
    names = [name.strip() for name in value.split(",")]
    if not names or not all(_FONT_NAME.fullmatch(name) for name in names):
        return None
    return ", ".join(names)


def parse_style(document: object) -> EhrStyle:
    """Keep only whitelisted SMART style keys with safe values; never raises on bad input."""
    if not isinstance(document, Mapping):
        return EhrStyle(properties=(), refused=("document",))
    kept: dict[str, str] = {}
    refused: list[str] = []
    for key, raw in document.items():
        spec = KEYS.get(key) if isinstance(key, str) else None
        value = _safe_value(spec[0], spec[1], raw) if spec else None
        if spec is None or value is None:
            refused.append(str(key)[:40])
            continue
        kept[spec[0]] = value
    text, bg = kept.get("--ff-text", _DEFAULT_TEXT), kept.get("--ff-bg", _DEFAULT_BG)
    ratio = contrast_ratio(text, bg)
    if ratio is not None and ratio < _MIN_CONTRAST:
        kept.pop("--ff-text", None)
        kept.pop("--ff-bg", None)
        refused.extend(("color_text", "color_background"))
        bg = _DEFAULT_BG
    # Accent, error and success colours are used as text (links, messages) on the background.
    for prop, key in (
        ("--ff-accent", "color_highlight"),
        ("--ff-error", "color_error"),
        ("--ff-success", "color_success"),
    ):
        if prop not in kept:
            continue  # the EHR sent none: nothing of its own to drop
        ratio = contrast_ratio(kept[prop], bg)
        if ratio is not None and ratio < _MIN_CONTRAST:
            kept.pop(prop)
            refused.append(key)
    return EhrStyle(properties=tuple(sorted(kept.items())), refused=tuple(refused))


def style_url_allowed(style_url: str, iss: str) -> bool:
    """Fetch the style document only from the EHR's own origin (smart.md 39: host allow-list)."""
    wanted, given = urlsplit(iss), urlsplit(style_url)
    return (
        given.scheme in ("https", "http")
        and given.scheme == wanted.scheme
        and given.netloc.lower() == wanted.netloc.lower()
        and not given.username
        and not given.password
    )
