"""The `toolkit` command line: one `cmd_*` module per command, each with a `register(app)` function.

Commands are listed in workflow order in `COMMANDS`, with the module that defines each; a module is
imported only when its command is run or help lists it, so `toolkit scan` starts without loading
what recheck (httpx) or report (pandas, statsmodels) need. The CLI is the only layer that prints,
prompts or exits.

    root.py         the COMMANDS table, the lazy group, global options, `main`
    cmd_*.py        one per command; lexicon_eval.py, lexicon_stats.py: `lexicon`'s subcommands
    common.py       the stderr console, error handling, tabular output, shared options
    filters.py      the filter options several commands share, one validator
    statuses.py     a status beside its reason, in every table that shows one
    review_screen.py, keys.py   `review`'s screen and its single keys
"""

from toolkit.cli.root import COMMANDS, app, main

__all__ = ["COMMANDS", "app", "main"]
