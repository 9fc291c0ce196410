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
