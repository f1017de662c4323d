"""OAuthHttp: timeouts, TLS verification, no redirects, a size bound and typed errors."""

from __future__ import annotations

import base64
import logging

import pytest
import requests
import responses

from launch.errors import OAuthHttpError
from launch.http import OAuthHttp
from tests.launch.conftest import TOKEN, form_of

URL = "https://ehr.example/fhir/.well-known/smart-configuration"


def test_every_call_has_explicit_timeouts_and_tls_verification(
    wire: responses.RequestsMock,
) -> None:
    # smart.md 11
    wire.get(URL, json={"token_endpoint": TOKEN})
    client = OAuthHttp(connect_timeout=2.0, read_timeout=7.0)
    assert client.get_json(URL).body == {"token_endpoint": TOKEN}
    sent = wire.calls[0].request.req_kwargs  # type: ignore[attr-defined]
    assert sent["timeout"] == (2.0, 7.0)
    assert sent["verify"] is True


def test_a_redirect_is_refused_not_followed(wire: responses.RequestsMock, http: OAuthHttp) -> None:
    # smart.md 11: no redirects on discovery and token calls.
    wire.get(URL, status=302, headers={"Location": "https://evil.example/conf"})
    with pytest.raises(OAuthHttpError) as caught:
        http.get_json(URL)
    assert caught.value.code == "redirect_refused"
    assert [c.request.url for c in wire.calls] == [URL]


def test_a_token_post_is_not_redirected_either(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 11, 32: the credential goes only to the validated token endpoint.
    wire.post(TOKEN, status=307, headers={"Location": "https://evil.example/token"})
    with pytest.raises(OAuthHttpError) as caught:
        http.post_form(TOKEN, {"grant_type": "authorization_code"})
    assert caught.value.code == "redirect_refused"
    assert len(wire.calls) == 1


def test_a_response_over_the_size_bound_is_refused(wire: responses.RequestsMock) -> None:
    # smart.md 11
    wire.get(URL, body=b"{" + b" " * 5000 + b"}", content_type="application/json")
    with pytest.raises(OAuthHttpError) as caught:
        OAuthHttp(max_bytes=1000).get_json(URL)
    assert caught.value.code == "too_large"


def test_timeouts_and_connection_failures_are_typed(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    wire.get(URL, body=requests.ConnectTimeout("slow"))
    wire.get(URL + "2", body=requests.ConnectionError("refused"))
    wire.get(URL + "3", body=requests.exceptions.SSLError("bad cert"))
    codes = []
    for url in (URL, URL + "2", URL + "3"):
        with pytest.raises(OAuthHttpError) as caught:
            http.get_json(url)
        codes.append(caught.value.code)
    assert codes == ["timeout", "connection_failed", "tls_error"]


def test_status_errors_and_non_json_are_typed(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    wire.get(URL, status=404, json={"error": "nope"})
    wire.get(URL + "2", body="<html>hello</html>", content_type="text/html")
    with pytest.raises(OAuthHttpError) as status:
        http.get_json(URL)
    with pytest.raises(OAuthHttpError) as not_json:
        http.get_json(URL + "2")
    assert (status.value.code, status.value.status) == ("http_status", 404)
    assert not_json.value.code == "invalid_json"


def test_json_is_accepted_whatever_the_content_type(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 8: accept JSON regardless of Content-Type oddities.
    wire.get(URL, body='{"token_endpoint": "x"}', content_type="text/plain")
    assert http.get_json(URL).body == {"token_endpoint": "x"}


def test_basic_auth_form_encodes_id_and_secret(
    wire: responses.RequestsMock, http: OAuthHttp
) -> None:
    # smart.md 31; RFC 6749 2.3.1
    wire.post(TOKEN, json={"ok": True})
    http.post_form(TOKEN, {"grant_type": "refresh_token"}, basic_auth=("app id", "s:cret"))
    header = wire.calls[0].request.headers["Authorization"]
    assert base64.b64decode(header.split()[1]).decode() == "app%20id:s%3Acret"
    assert form_of(wire.calls[0]) == {"grant_type": "refresh_token"}


def test_logs_name_host_and_path_but_no_query_or_body(
    wire: responses.RequestsMock, http: OAuthHttp, caplog: pytest.LogCaptureFixture
) -> None:
    # smart.md 70
    wire.post(TOKEN, json={"access_token": "SECRET-AT"})
    with caplog.at_level(logging.DEBUG):
        http.post_form(TOKEN + "?q=SECRET-Q", {"code": "SECRET-CODE"})
    assert "ehr.example/auth/token" in caplog.text
    assert "SECRET" not in caplog.text
