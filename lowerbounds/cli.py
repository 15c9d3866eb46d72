"""The ``lowerbounds`` command line.

Sub-commands live in :mod:`lowerbounds.commands`; each module there defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Bad input gives one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Sub-command modules, in the order ``lowerbounds --help`` lists them.
COMMANDS = [
    "lowerbounds.commands.report", "lowerbounds.commands.verify",
    "lowerbounds.commands.bounds",
    "lowerbounds.commands.certify", "lowerbounds.commands.list",
    "lowerbounds.commands.bench", "lowerbounds.commands.learn",
]


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage + error)
        raise UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    from lowerbounds import __version__

    parser = _Parser(
        prog="lowerbounds",
        description="Executable lower bounds for distributed optimization with communication compression.",
    )
    parser.add_argument("--version", action="version", version=f"lowerbounds {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for modname in COMMANDS:
        mod = importlib.import_module(modname)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "_run", None):
            parser.print_help()
            return 2
        return int(args._run(args) or 0)
    except UsageError as e:
        print(str(e).splitlines()[0], file=sys.stderr)
        return 2
    except ValueError as e:
        if os.environ.get("LOWERBOUNDS_DEBUG"):
            raise
        print(f"lowerbounds: error: {str(e).splitlines()[0] if str(e) else 'invalid value'}", file=sys.stderr)
        return 2
    except OSError as e:  # an unusable path found late (a disk, a permission): one line, not a traceback
        if os.environ.get("LOWERBOUNDS_DEBUG"):
            raise
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"lowerbounds: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except (ZeroDivisionError, OverflowError) as e:  # e.g. a bound evaluated at ε = 1e-300
        if os.environ.get("LOWERBOUNDS_DEBUG"):
            raise
        print(f"lowerbounds: error: the values are out of floating-point range ({e}); "
              f"use less extreme parameters", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lowerbounds: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
