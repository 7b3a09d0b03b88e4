"""``svcgen update``, ``svcgen adopt`` and ``svcgen check``: keep services in
step with their template. Core code only: it returns result objects and
raises :mod:`svcgen.errors`; the commands print."""
