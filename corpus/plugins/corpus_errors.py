"""Error pages without tracebacks for a visitor's mistakes (loaded by `corpus serve` from plugins/).

Datasette 0.65 prints every error it handles, a 404 included, with `rich` when rich is
importable (spaCy's command line brings it in), as a traceback with local variables. A 404 for
a path no route knows (/a/b/c/d, /corpus/cases/a/b) is handled outside any `except` block,
where rich refuses to print, and the 404 became a 500. Without rich, Datasette answers 4xx
errors with its error page and logs nothing, and logs a plain traceback for a 500: that is the
behaviour kept here, by hiding rich from Datasette's error handler.
"""

import datasette.handle_exception

datasette.handle_exception.rich = None
