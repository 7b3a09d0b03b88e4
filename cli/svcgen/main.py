"""The ``svcgen`` program: Typer's command line (:mod:`svcgen.app`), with one
shortcut. A plain in-place ``patch-config`` run (the form scripts and fleet
jobs repeat) is read by :func:`svcgen.commands.patch_inplace.parse` and run
without importing Typer, whose import is about half of a small run; every
other command line, including any patch-config line that parser does not
take, goes to Typer."""

from __future__ import annotations

import os
import sys


def main() -> None:
    try:
        args = sys.argv[1:]
        if args[:1] == ["patch-config"] and not any(k.endswith("_COMPLETE") for k in os.environ):
            from svcgen.commands import install_signal_handlers, patch_inplace, run_command

            kwargs = patch_inplace.parse(args[1:])
            if kwargs is not None:
                install_signal_handlers()
                raise SystemExit(
                    run_command(patch_inplace.execute, (), kwargs, command="patch-config")
                )
    except KeyboardInterrupt:  # while starting up
        sys.stderr.write("aborted\n")
        raise SystemExit(130) from None
    from svcgen.app import main as typer_main

    typer_main()
