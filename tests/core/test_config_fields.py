"""One table of RunConfig's fields (issue 12 item 8): the CLI's run options, the session
format's required fields, code export's check and the optimizers' hyper-parameters are all
read from ``CONFIG_FIELDS``, and the table covers the dataclass exactly."""

from __future__ import annotations

import dataclasses

import pytest

from gdstudio import cli
from gdstudio.core import RunConfig
from gdstudio.core.codegen import CodegenError
from gdstudio.core.codegen import numpy_script as script_for
from gdstudio.core.descent.config import CONFIG_FIELDS, HYPER_PARAMETERS
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.core.io.session import CONFIG_FIELDS_V1


def test_the_table_is_the_dataclass():
    names = [f.name for f in dataclasses.fields(RunConfig) if f.name != "problem"]
    assert [f.name for f in CONFIG_FIELDS] == names
    assert all(f.kind in ("start", "real", "whole", "flag", "choice", "text")
               for f in CONFIG_FIELDS)
    for name, users in HYPER_PARAMETERS.items():
        assert users and set(users) <= set(OPTIMIZERS), name


def test_session_format_1_requires_the_fields_it_always_had():
    # Format 1 as written by the first release: these sixteen, in this order.
    assert CONFIG_FIELDS_V1 == ("x0", "m0", "c0", "lr", "epochs", "engine", "device", "dtype",
                                "optimizer", "tol", "momentum", "beta1", "beta2", "alpha",
                                "eps", "stop_on_cycle")


def test_the_cli_has_an_option_for_every_field_with_the_dataclass_defaults():
    parser = cli.build_run_parser()
    options = {s for action in parser._actions for s in action.option_strings}
    for field in CONFIG_FIELDS:
        assert field.option in options, field.name
    # nothing typed: every setting is RunConfig's own default
    config = cli.config_from_args(parser.parse_args([]))
    defaults = RunConfig()
    for field in CONFIG_FIELDS:
        assert getattr(config, field.name) == getattr(defaults, field.name), field.name


@pytest.mark.parametrize(("option", "value", "field", "expected"), [
    ("--momentum", "0.5", "momentum", 0.5), ("--batch-size", "4", "batch_size", 4),
    ("--tol", "1e-6", "tol", 1e-6), ("--eps", "1e-7", "eps", 1e-7),
    ("--dtype", "float32", "dtype", "float32"), ("--stop-on-cycle", None, "stop_on_cycle", True),
])
def test_each_option_reaches_its_field(option, value, field, expected):
    argv = [option] + ([value] if value is not None else [])
    if field == "batch_size":
        argv = ["--problem", "regression", *argv]
    config = cli.config_from_args(cli.build_run_parser().parse_args(argv))
    assert getattr(config, field) == expected


def test_code_export_refuses_a_field_the_table_says_scripts_do_not_reproduce(monkeypatch):
    import gdstudio.core.codegen as codegen

    config = RunConfig(stop_on_cycle=True)
    script_for(config)  # every field is reproduced today
    table = tuple(dataclasses.replace(f, scripts=False) if f.name == "stop_on_cycle" else f
                  for f in CONFIG_FIELDS)
    monkeypatch.setattr(codegen, "CONFIG_FIELDS", table)
    with pytest.raises(CodegenError, match="stop_on_cycle"):
        script_for(config)
    script_for(RunConfig())  # at its default it is fine
