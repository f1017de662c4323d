"""The one gate every outgoing resource passes: the R4B models plus the project's own rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from fhir_mappers.errors import InvalidResourceError
from fhir_mappers.rules import check_resource


def _model_problems(resource: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return ("resourceType: missing",), {}
    try:
        model_class = get_fhir_model_class(kind)
    except ValueError:
        return (f"resourceType: {kind!r} is not an R4B resource",), {}
    try:
        model = model_class.model_validate(dict(resource))
    except ValidationError as error:
        problems = tuple(
            f"{kind}.{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        return problems, {}
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return (), dumped


def validated(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource as R4B JSON when it passes every rule; else raise InvalidResourceError."""
    kind = str(resource.get("resourceType", "?"))
    problems = tuple(check_resource(resource))
    model_problems, dumped = _model_problems(resource)
    problems += model_problems
    if problems:
        raise InvalidResourceError(kind, problems)
    return dumped
