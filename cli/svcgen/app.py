"""The ``svcgen`` command line. Start-up stays light: command modules import
copier, jinja2 and ruamel only inside the functions that need them."""

from __future__ import annotations

import os
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any

import typer

from svcgen import __version__
from svcgen.commands import (
    adopt,
    audit,
    campaign_options,
    check,
    diff,
    keep,
    new,
    options,
    patch_config,
    template,
    update,
)

EXIT_CODES = (
    "Exit codes: 0 success; 1 problems found; 2 bad input or usage (nothing "
    "written); 3 internal error (a bug; details in a log file); 130 aborted "
    "(Ctrl-C, SIGTERM). Each command's --help lists what its codes mean."
)


def _conventional_help() -> None:
    """Usage lines as people write them: ``NAME`` and ``PATH...``, not typer's
    ``{NAME}`` and ``PATH <list[Path]>``."""
    core = typer.core
    arg = core.TyperArgument

    def usage_name(self: typer.core.TyperArgument) -> str:
        name = str(self.display_name_raw)
        if not self.required:
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def help_name(self: typer.core.TyperArgument) -> str:
        return str(self.display_name_raw) + ("..." if self.nargs != 1 else "")

    if hasattr(arg, "_usage_display_name"):
        arg._usage_display_name = usage_name  # type: ignore[method-assign]
    if hasattr(arg, "_rich_display_name"):
        arg._rich_display_name = help_name  # type: ignore[method-assign]
    if hasattr(arg, "display_type_rich"):
        arg.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    del core


def _keep_examples(text: str) -> str:
    """Mark every indented paragraph (examples, lists) so that click prints it
    as written instead of re-wrapping it (so examples can be copied)."""
    paragraphs = text.split("\n\n")
    kept = []
    for para in paragraphs:
        lines = [line for line in para.splitlines() if line.strip()]
        if lines and not para.startswith("\b") and all(line.startswith(" ") for line in lines):
            kept.append("\b\n" + para)
        else:
            kept.append(para)
    return "\n\n".join(kept)


# name, help, function, and the click command class where a command needs its own
# (campaign flags: ``--push [REMOTE]``).
COMMANDS: tuple[tuple[str, str, Callable[..., Any], type[Any] | None], ...] = (
    ("new", new.HELP, new.command, None),
    ("update", update.HELP, update.command, campaign_options.Command),
    ("adopt", adopt.HELP, adopt.command, None),
    ("check", check.HELP, check.command, None),
    ("patch-config", patch_config.HELP, patch_config.command, campaign_options.Command),
    ("diff", diff.HELP, diff.command, None),
    ("keep", keep.HELP, keep.command, None),
    ("audit", audit.HELP, audit.command, None),
)


def _listed_only() -> None:
    """Stands in for every command in the top-level help (see :func:`main`)."""


def _make_app(full: bool, only: str | None = None) -> typer.Typer:
    """The Typer app. ``full=False`` gives the same top-level help without the
    commands' parameters: Typer analyses every parameter of every command
    before it prints anything, which the bare ``svcgen --help`` (or ``svcgen``)
    does not need; that is most of its start-up cost. ``only=NAME``: only that
    command gets its parameters (the one being run); the others are listed."""
    import inspect

    made = typer.Typer(
        name="svcgen",
        help="Scaffold hardened Go microservices and keep a fleet of them up to date.",
        epilog=EXIT_CODES,
        no_args_is_help=True,
        add_completion=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name, help_text, fn, cls in COMMANDS:
        first = help_text.strip().splitlines()[0]
        text = _keep_examples(help_text)
        whole = full and only in (None, name)
        if whole and "fleet" in inspect.signature(fn).parameters:
            text = text.rstrip() + "\n\n" + options.FLEET_FORMAT
        made.command(name, help=text, short_help=first, cls=cls if whole else None)(
            fn if whole else _listed_only
        )
    made.add_typer(template.app, name="template", short_help=template.HELP)
    made.callback()(_root)
    return made


def _version(value: bool) -> None:
    if value:
        typer.echo(f"svcgen {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Scaffold hardened Go microservices and keep a fleet of them up to date."""


def _light_coercion() -> None:
    """Coerce plain ``str``, ``int``, ``bool`` and ``Path`` values (and lists of
    them) without pydantic. Typer builds a pydantic TypeAdapter for every
    parameter of the command being run, even one that was not given, and
    importing pydantic costs more than the rest of a small patch-config run.
    Anything else (choices, parsers, ranges, files) keeps typer's own way."""
    from pathlib import Path

    from typer import _coercion, _param_types
    from typer._click.exceptions import BadParameter

    leaves = (str, int, bool, Path)

    class _Plain(_coercion.RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            leaf: Any = self.annotation
            if typing.get_origin(leaf) is list:
                (leaf,) = typing.get_args(leaf)
                items = value if isinstance(value, list | tuple) else [value]
                return [self._leaf(leaf, item, param, ctx) for item in items]
            return self._leaf(leaf, value, param, ctx)

        def _leaf(self, leaf: Any, value: Any, param: Any, ctx: Any) -> Any:
            if leaf is str:
                return value.decode() if isinstance(value, bytes) else str(value)
            if leaf is bool:
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in ("1", "true", "t", "yes", "y", "on"):
                    return True
                if text in ("", "0", "false", "f", "no", "n", "off"):
                    return False
                raise BadParameter(f"{value!r} is not a valid boolean.", ctx=ctx, param=param)
            if leaf is int:
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                try:
                    return int(str(value).strip())
                except ValueError:
                    raise BadParameter(
                        f"{value!r} is not a valid integer.", ctx=ctx, param=param
                    ) from None
            path = value if isinstance(value, Path) else Path(os.fsdecode(value))
            return _param_types.coerce_cli_path(
                path, self.parameter_info, path_type=Path, param=param, ctx=ctx
            )

    def plain(desc: Any) -> bool:
        info, annotation = desc.parameter_info, desc.annotation
        if typing.get_origin(annotation) is list:
            args = typing.get_args(annotation)
            annotation = args[0] if len(args) == 1 else None
        return (
            annotation in leaves
            and desc.file_annotation is None
            and not desc.is_choice
            and info.parser is None
            and info.min is None
            and info.max is None
            and (annotation is Path or not _param_types._path_options_requested(info))
            and (info.path_type in (None, Path))
        )

    param_class = typer.core._TyperParameter
    typers_own = param_class.get_runtime_param

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None and plain(self.type_descriptor):
            desc = self.type_descriptor
            self._runtime_param = _Plain(
                parameter_info=desc.parameter_info, annotation=desc.annotation
            )
        return typers_own(self)

    param_class.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


_conventional_help()
_light_coercion()
app = _make_app(full=True)

_NAMES = frozenset(name for name, _, _, _ in COMMANDS)
_TOP_LEVEL_HELP: tuple[list[str], ...] = ([], ["--help"], ["-h"], ["-V"], ["--version"])


def main() -> None:
    from svcgen.commands import install_signal_handlers

    install_signal_handlers()
    try:
        args = sys.argv[1:]
        if args in _TOP_LEVEL_HELP:
            _make_app(full=False)()
        elif args and args[0] in _NAMES and not any(k.endswith("_COMPLETE") for k in os.environ):
            # one command is run: only its parameters are analysed (shell
            # completion, which may ask about any command, takes the whole app)
            _make_app(full=True, only=args[0])()
        else:
            app()
    except KeyboardInterrupt:  # outside any command (while parsing or completing)
        sys.stderr.write("aborted\n")
        raise SystemExit(130) from None
