"""Loading the packaged data files (or a site's own copy) as parsed JSON."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from rehab.errors import RehabDataError


def load_json(name: str, path: Path | None = None) -> tuple[str, dict[str, object]]:
    """The source label and top-level object of `path`, or of the packaged `rehab/data/<name>`."""
    if path is None:
        source = f"rehab/data/{name}"
        text = resources.files("rehab").joinpath("data", name).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RehabDataError(source, f"cannot be read ({error.__class__.__name__})") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RehabDataError(source, f"is not valid JSON (line {error.lineno})") from error
    if not isinstance(data, dict):
        raise RehabDataError(source, "must hold a JSON object")
    return source, data


def text_field(data: dict[str, object], key: str, source: str, where: str = "") -> str:
    """data[key] as non-blank text, else a RehabDataError naming the place."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RehabDataError(source, f"{where}{key} must be non-empty text")
    return value


def optional_text(data: dict[str, object], key: str, source: str, where: str = "") -> str | None:
    """data[key] as text or None when absent/null, else a RehabDataError."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RehabDataError(source, f"{where}{key} must be text")
    return value


def object_list(data: dict[str, object], key: str, source: str) -> list[dict[str, object]]:
    """data[key] as a list of objects, else a RehabDataError."""
    value = data.get(key)
    if not isinstance(value, list):
        raise RehabDataError(source, f"{key} must be a list")
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise RehabDataError(source, f"{key}[{index}] must be an object")
    return value
