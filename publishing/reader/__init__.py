"""Read an entry point's command-line parameters without running it.

User code is never imported or executed on the server. The reader parses it with ``ast`` and
walks it with a small abstract interpreter that understands just enough Python to follow how
real training scripts build their parsers: aliases of argparse, parsers made in functions and
returned, helper functions (in this file or in local modules) that receive the parser, argument
groups, ``parents=[...]``, ``set_defaults``, module-level constants and simple expressions,
loops over literal lists. Anything it cannot know statically is kept as source text and
reported as a warning with its line number, never a crash.

The parts: ``source`` (reading and parsing a file), ``values`` (the abstract values),
``modules``/``statements``/``expressions`` (the evaluation), ``argparse_model`` (what
ArgumentParser calls build), ``decorators`` (MLReef's legacy ``@parameter``), ``reader`` (one
read, end to end), ``budget`` and ``computation`` (what one read may compute), ``sandbox`` and
``worker`` (a read in a child process with time and memory limits, for web requests and builds)
and ``convention`` (what publishing requires of the result).
"""

from .convention import CONVENTION_FLAGS, convention_problem
from .reader import EntrypointReader, read_entrypoint
from .sandbox import ReaderLimitError, read_entrypoint_isolated
from .source import EntrypointError

__all__ = [
    "CONVENTION_FLAGS",
    "EntrypointError",
    "EntrypointReader",
    "ReaderLimitError",
    "convention_problem",
    "read_entrypoint",
    "read_entrypoint_isolated",
]
