"""`baton policy schema [FILE]`: the policy language as a JSON Schema, for editors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import click

from .app import App


@click.command()
@click.argument("file", required=False, metavar="[FILE]")
@click.pass_obj
def schema(app: App, file: str | None) -> None:
    """The JSON Schema of the policy language, for editors.

    Prints the schema; with FILE, checks FILE as `policy check` does, then
    against the schema."""
    from statemachine.policy.json_schema import policy_schema, schema_text

    if file is None:
        if app.as_json:
            app.emit(policy_schema())
        else:
            click.echo(schema_text(), nl=False)
        return
    from statemachine.policy import read_policy_file
    from statemachine.policy.json_schema import policy_data

    text, _ = read_policy_file(file)  # the loader first: its located errors are the ones people act on
    problems = schema_problems(policy_data(text))
    if app.as_json:
        app.emit({"file": file, "ok": not problems,
                  "problems": [{"path": path, "message": message} for path, message in problems]})
    elif problems:
        for path, message in problems:
            click.echo(f"{file}: {path}: {message}", err=True)
    else:
        click.echo(f"{file}: OK against the schema")
    if problems:
        raise SystemExit(1)


@lru_cache(maxsize=1)
def _validator() -> Any:
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        raise click.ClickException(
            "checking a file against the schema needs the jsonschema package, which is not installed: "
            "run `pip install jsonschema`, or run `baton policy check FILE` alone"
        ) from None
    from statemachine.policy.json_schema import policy_schema

    return Draft202012Validator(policy_schema())


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """Each place `data` does not fit the schema: (path like sla[0].within, what is wrong)."""
    validator = _validator()  # first: it says plainly when jsonschema is missing
    from jsonschema.exceptions import best_match

    found = []
    for error in validator.iter_errors(data):
        error = best_match([error])  # inside "one of these forms", the form the value came closest to
        if error.validator == "additionalProperties":
            keys = error.schema.get("properties", {})
            found += [(_path([*error.absolute_path, key]), f"unknown key (keys: {', '.join(keys)})")
                      for key in error.instance if key not in keys]
        else:
            found.append((_path(error.absolute_path), _message(error)))
    return sorted(found)


def _path(parts: Iterable[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "(the whole policy)"


def _message(error: Any) -> str:
    """The schema's own words for the key, rather than its regular expressions."""
    if error.validator not in ("pattern", "anyOf", "enum", "type", "not", "minLength", "minItems", "minimum"):
        return str(error.message)
    described = error
    while described is not None and not (isinstance(described.schema, dict) and "description" in described.schema):
        described = described.parent  # a form inside "one of these forms" takes its key's words
    if described is None:
        return str(error.message)
    return f"{_shown(error.instance)} does not fit here. {described.schema['description']}"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "this set of entries"
    if isinstance(value, list):
        return "this list"
    return "nothing" if value is None else json.dumps(value, ensure_ascii=False)
