"""The configuration as the user wrote it, whichever way it came in."""

from __future__ import annotations

import yaml


def _typed(value):
    if isinstance(value, str):
        return yaml.safe_load(value) if value.strip() else value
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    return value


def type_nested_overrides(config, overrides):
    """Read nested ``--config`` values as YAML reads a config file.

    Snakemake parses ``--config key=value`` itself for top-level values but
    reads nested ones (``--config 'regions={threshold: 0.4}'``) with YAML's
    base loader, which keeps every scalar a string: ``'0.4'`` would then fail
    the schema's ``type: number``. Each nested value given on the command line
    is read again with YAML's safe loader, so that it means what it means in
    a config file. Top-level values are left as Snakemake parsed them.

    Parameters
    ----------
    config : dict
        The merged configuration, changed in place.
    overrides : dict
        The ``--config`` values (``workflow.config_settings.overwrite_config``).
    """
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _merge_typed(config[key], value)


def _merge_typed(target, overrides):
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_typed(target[key], value)
        else:
            target[key] = _typed(value)


def config_reference(schema):
    """The config's keys as a Markdown reference (``config/README.md``), from its schema.

    Each key with its default, what it takes and its description: the schema
    is the one place where the keys are described.

    Parameters
    ----------
    schema : dict
        The config's JSON schema (``workflow/schemas/config.schema.yaml``).

    Returns
    -------
    str
    """
    lines = [
        "# Configuration",
        "",
        "`config/config.yaml` holds every key with its default (`config.yaml` at the",
        "repository's root is the same file). Give your own values in a file of your",
        "own (`snakemake --configfile my.yaml`) or, for a deployed workflow, in its",
        "`config/config.yaml`; keys you leave out keep their defaults. The keys are",
        "checked against `workflow/schemas/config.schema.yaml` before any job; this",
        "page is rendered from that schema (`make config-reference`).",
    ]
    for name, spec in schema["properties"].items():
        keys = spec.get("properties") if spec.get("type") == "object" else None
        lines += ["", f"## `{name}`", ""]
        if keys:
            lines += [" ".join(spec["description"].split()), ""]
        else:
            keys = {"": spec}
        lines += ["| key | default | takes | description |", "| --- | --- | --- | --- |"]
        for key, item in keys.items():
            default = yaml.safe_dump(item.get("default"), default_flow_style=True)
            description = item.get("description") or _referenced(schema, item)["description"]
            lines.append(
                f"| `{name}{'.' if key else ''}{key}` "
                f"| `{default.strip().removesuffix('...').strip()}` "
                f"| {_takes(schema, item)} | {' '.join(description.split())} |"
            )
    return "\n".join(lines) + "\n"


def _referenced(schema, item):
    reference = item.get("$ref", "")
    return schema["definitions"][reference.rsplit("/", 1)[-1]] if reference else {}


def _takes(schema, item):
    """What a key takes, in a few words."""
    item = item | _referenced(schema, item)
    if "enum" in item:
        return ", ".join(f"`{value}`" for value in item["enum"])
    if "oneOf" in item:
        return " or ".join(_takes(schema, choice) for choice in item["oneOf"])
    kind = item.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    bounds = [
        f"{word} {item[key]}"
        for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"))
        if key in item
    ]
    if kind == "array" and "items" in item:
        kind = f"list of {_takes(schema, item['items'])}"
    return " ".join([kind, *bounds])
