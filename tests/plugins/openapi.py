"""Validate GetStream requests and responses against the OpenAPI subsets in tests/data.

- ``validate_request(method, path, query, body)`` (the order of ``Received``'s fields): against
  the *strict* subset, i.e. what GetStream documents a client may send. The path must be one of
  its operations; path and query parameters within their schemas; ``api_key`` present when a
  query is given (GetStream's security scheme); the body valid for the operation's request
  schema. Two deliberate readings of the spec for requests:
  * objects are closed: a field the schema does not declare is an error (``start_hsl`` would
    otherwise pass validation and silently do nothing on the real service);
  * date-times (``type: number, format: date-time``) may be RFC3339 strings with a time zone,
    which is what GetStream's docs and SDK send (docs/getstream.md "Wire"), or numbers.
- ``validate_response(op_id_or_path, method, status, body)``: against the *relaxed* subset (the real
  service sends ``null`` for unset optionals). Error statuses the spec does not list (401, 403,
  404, 5xx) are checked against ``APIError``, GetStream's envelope for every error.

Both return the operationId and raise ``ContractViolation`` (an AssertionError) naming every problem.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

DATA = Path(__file__).resolve().parents[1] / "data"
STRICT = DATA / "getstream-openapi-subset.json"
RELAXED = DATA / "getstream-openapi-subset.relaxed.json"


class ContractViolation(AssertionError):
    pass


_formats = FormatChecker()


@_formats.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True  # format applies to strings only
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        return False
    return datetime.fromisoformat(value).tzinfo is not None


def _closed_for_requests(node: Any) -> Any:
    """The strict spec, read as a request validator: RFC3339 date-times accepted (closed objects are
    checked by ``_undeclared``, which can say which field is unknown)."""
    if isinstance(node, list):
        return [_closed_for_requests(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed_for_requests(v) for k, v in node.items()}
    if out.get("type") == "number" and out.get("format") == "date-time":
        either = [{"type": "number"}, {"type": "string", "format": "date-time"}]
        return {"anyOf": either, "nullable": out.get("nullable", False)}
    return out


@cache
def _spec(path: Path) -> dict[str, Any]:
    spec = json.loads(path.read_text("utf-8"))
    if path == STRICT:
        spec = {**spec, "components": _closed_for_requests(copy.deepcopy(spec["components"]))}
    return spec


@cache
def _operations(path: Path) -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    out = []
    for template, item in _spec(path)["paths"].items():
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out.append((method.upper(), regex, op))
    return out


def _find(spec_path: Path, op_id_or_path: str, method: str) -> tuple[dict[str, Any], dict[str, str]]:
    method = method.upper()
    path = op_id_or_path.split("?", 1)[0]
    for m, regex, op in _operations(spec_path):
        if m != method:
            continue
        if op["operationId"] == op_id_or_path:
            return op, {}
        match = regex.match(path)
        if match:
            return op, {k: unquote(v) for k, v in match.groupdict().items()}
    raise ContractViolation(f"{method} {op_id_or_path} is not an operation of the GetStream OpenAPI subset")


@cache
def _validator(spec_path: Path, schema_json: str) -> OAS30Validator:
    schema = json.loads(schema_json)
    return OAS30Validator({**schema, "components": _spec(spec_path)["components"]}, format_checker=_formats)


def _errors(spec_path: Path, schema: dict[str, Any], value: Any, where: str) -> list[str]:
    validator = _validator(spec_path, json.dumps(schema, sort_keys=True))
    found = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{where}{''.join('/' + str(p) for p in e.absolute_path)}: {e.message}" for e in found]


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """Query strings are text; read them as the type their schema declares, if they can be.
    Arrays are comma-separated (OpenAPI's default ``form`` style without explode, as GetStream uses)."""
    if schema.get("type") == "array":
        return [_coerce(item, schema.get("items", {})) for item in value.split(",")]
    try:
        if schema.get("type") == "integer":
            return int(value)
        if schema.get("type") == "number":
            return float(value)
    except ValueError:
        return value
    if schema.get("type") == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _spec(STRICT)["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _undeclared(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    """Fields in ``value`` that ``schema`` does not declare, recursively (requests are closed)."""
    schema = _resolve(schema)
    problems: list[str] = []
    if isinstance(value, dict):
        props, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, item in value.items():
            if props is not None and key in props:
                problems += _undeclared(props[key], item, f"{where}/{key}")
            elif isinstance(extra, dict):
                problems += _undeclared(extra, item, f"{where}/{key}")
            elif props is not None and extra is not True:
                owner = schema.get("title") or "the request schema"
                problems.append(f"{where}/{key}: Additional properties are not allowed "
                                f"(not a field of {owner})")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += _undeclared(schema["items"], item, f"{where}/{i}")
    return problems


def validate_request(method: str, path: str, query: dict[str, str] | None, body: Any) -> str:
    """Check one request against the strict subset; returns its operationId."""
    op, params = _find(STRICT, path, method)
    problems: list[str] = []
    if query is not None and not query.get("api_key"):
        problems.append("query.api_key is missing (GetStream authenticates every request with it)")
    for param in op.get("parameters", []):
        name, where, schema = param["name"], param["in"], param.get("schema", {})
        raw = params.get(name) if where == "path" else (query or {}).get(name)
        if raw is None:
            if param.get("required"):
                problems.append(f"{where}.{name} is required")
            continue
        if "content" in param:  # a JSON-encoded parameter (QueryUsers' ``payload``): decode, then validate
            content_schema = param["content"]["application/json"]["schema"]
            try:
                decoded = json.loads(raw)
            except ValueError:
                problems.append(f"{where}.{name} is not JSON")
                continue
            problems += _errors(STRICT, content_schema, decoded, f"{where}.{name}")
            problems += _undeclared(content_schema, decoded, f"{where}.{name}")
            continue
        limit = schema.get("maxLength")
        if limit is not None and len(raw) > limit:
            problems.append(f"{where}.{name} is longer than {limit} characters")
            continue
        problems += _errors(STRICT, schema, _coerce(raw, schema), f"{where}.{name}")
    request = op.get("requestBody")
    if body is not None:
        if request is None:
            problems.append(f"{op['operationId']} takes no request body")
        else:
            schema = request["content"]["application/json"]["schema"]
            problems += _errors(STRICT, schema, body, "body")
            problems += _undeclared(schema, body, "body")
    # no body where the spec marks one required is how GetStream's own docs call go_live, stop_live
    # and participants (docs/getstream.md "Wire"): accepted
    if problems:
        raise ContractViolation(f"{method.upper()} {path} ({op['operationId']}): " + "; ".join(problems))
    return op["operationId"]


def validate_response(op_id_or_path: str, method: str, status: int, body: Any) -> str:
    """Check one response body against the relaxed subset; returns the operationId."""
    op, _ = _find(RELAXED, op_id_or_path, method)
    declared = op["responses"].get(str(status))
    if declared is None:
        if status < 400:
            raise ContractViolation(f"{op['operationId']} does not answer {status} "
                                    f"(the spec declares {', '.join(op['responses'])})")
        schema = {"$ref": "#/components/schemas/APIError"}
    else:
        schema = declared["content"]["application/json"]["schema"]
    problems = _errors(RELAXED, schema, body, "body")
    if problems:
        raise ContractViolation(f"{op['operationId']} {status}: " + "; ".join(problems[:20]))
    return op["operationId"]
