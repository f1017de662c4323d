"""The EHR style document is untrusted: only whitelisted keys with safe values pass."""

from __future__ import annotations

import pytest

from smartapp.style import contrast_ratio, parse_style, style_url_allowed


def props(document: object) -> dict[str, str]:
    return dict(parse_style(document).properties)


def test_known_keys_with_safe_values_become_css_custom_properties() -> None:  # smart.md 39
    style = props(
        {
            "color_background": "#f8f8f5",
            "color_highlight": "#1f4e79",
            "dim_border_radius": "4px",
            "dim_font_size": "0.9rem",
            "font_family_body": "Segoe UI, 'Open Sans', sans-serif",
        }
    )
    assert style == {
        "--ff-bg": "#f8f8f5",
        "--ff-accent": "#1f4e79",
        "--ff-radius": "4px",
        "--ff-font-size": "0.9rem",
        "--ff-font-body": "Segoe UI, 'Open Sans', sans-serif",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("color_background", "red;} body{display:none"),
        ("color_background", "url(https://evil.example/x.png)"),
        ("color_text", "expression(alert(1))"),
        ("dim_font_size", "1px"),
        ("dim_font_size", "calc(100vw)"),
        ("dim_spacing_size", "400px"),
        ("font_family_body", "Arial; background:url(x)"),
        ("font_family_heading", "</style><script>alert(1)</script>"),
        ("color_highlight", 12),
        ("unknown_key", "#000000"),
    ],
)
def test_unsafe_values_and_unknown_keys_are_refused(key: str, value: object) -> None:  # 39
    style = parse_style({key: value})
    assert style.properties == ()
    assert style.refused == (key,)


def test_a_document_that_is_not_an_object_gives_no_style() -> None:
    assert parse_style(["#fff"]).properties == ()
    assert parse_style(None).refused == ("document",)


def test_text_and_background_below_aa_contrast_are_both_dropped() -> None:
    style = parse_style({"color_text": "#777777", "color_background": "#888888"})
    assert style.properties == ()
    assert set(style.refused) == {"color_text", "color_background"}


def test_a_highlight_colour_unreadable_on_the_background_is_dropped() -> None:
    style = props({"color_background": "#ffffff", "color_highlight": "#ffff00"})
    assert style == {"--ff-bg": "#ffffff"}


def test_a_dark_theme_with_only_text_and_background_is_kept_whole() -> None:
    # An EHR that sends no accent, error or success colour must not break the page.
    style = props({"color_background": "#000000", "color_text": "#ffffff"})
    assert style == {"--ff-bg": "#000000", "--ff-text": "#ffffff"}


def test_contrast_ratio_matches_the_wcag_extremes() -> None:
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("rgb(255, 255, 255)", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("blue", "#fff") is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ehr.example/style.json", True),
        ("https://EHR.example/other/smart-style.json", True),
        ("https://evil.example/style.json", False),
        ("http://ehr.example/style.json", False),
        ("https://user@ehr.example/style.json", False),
        ("file:///etc/passwd", False),
    ],
)
def test_the_style_document_is_fetched_only_from_the_ehr_origin(url: str, allowed: bool) -> None:
    assert style_url_allowed(url, "https://ehr.example/fhir") is allowed  # smart.md 39
