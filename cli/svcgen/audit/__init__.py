"""``svcgen audit``: the production-readiness review, automated for any Go service.

The Go checks are analyzers in ``analyzers/`` (a Go module shipped inside this
package, built on first use, see :mod:`svcgen.audit.driver`); the repository
file checks are Python (:mod:`svcgen.audit.repo`). :mod:`svcgen.audit.engine`
runs both, applies suppressions and scores the result. ``docs/audit.md``
documents every check and the scoring formula.
"""
