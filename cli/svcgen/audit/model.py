"""The checks svcgen audit knows, and what a finding is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = (
    "Code Quality",
    "Security",
    "Reliability",
    "Performance",
    "Observability",
    "Resilience",
    "Testing",
)

# Points a finding deducts from its category's 10 (see docs/audit.md).
DEDUCTION = {"P0": 3.0, "P1": 1.5, "P2": 0.5}


@dataclass(frozen=True)
class Check:
    id: str
    priority: str
    category: str
    title: str
    fix: str
    review: str  # the review item it automates
    needs_types: bool = False
    repo: bool = False  # a repository-file check (Python), not a Go analyzer


CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        Check(
            "CTX001",
            "P0",
            "Reliability",
            "context.Background()/TODO() outside main, tests and examples/",
            "take a ctx context.Context parameter and pass it down",
            "P0-1",
        ),
        Check(
            "AUTH001",
            "P0",
            "Security",
            "unchecked type assertion on a claims map or map[string]any value",
            "use the two-value form v, ok := x.(T) and reject the request when !ok",
            "P0-2",
            needs_types=True,
        ),
        Check(
            "AUTH002",
            "P0",
            "Security",
            "JWT parsed without expiration or algorithm checks; legacy jwt module",
            "parse with jwt/v5 and jwt.WithExpirationRequired(), jwt.WithValidMethods(...)",
            "P0-2",
        ),
        Check(
            "RL001",
            "P0",
            "Security",
            "production rate limiter fails open (middleware.ratelimit.fail_closed)",
            "set middleware.ratelimit.fail_closed: true in the production config",
            "P0-3",
            repo=True,
        ),
        Check(
            "BODY001",
            "P1",
            "Performance",
            "io.ReadAll on an HTTP body without a size limit",
            "wrap the body in http.MaxBytesReader / io.LimitReader before reading",
            "P1-2",
            needs_types=True,
        ),
        Check(
            "HEALTH001",
            "P1",
            "Reliability",
            "health or readiness result cached without expiry",
            "cache health results for a few seconds (e.g. 5*time.Second), never forever",
            "P1-3",
        ),
        Check(
            "CNT001",
            "P1",
            "Observability",
            "increment-only counter declared int64/atomic.Int64",
            "declare it uint64 / atomic.Uint64, or use a prometheus.Counter",
            "P1-4",
            needs_types=True,
        ),
        Check(
            "GO001",
            "P1",
            "Reliability",
            "goroutine loop without ctx.Done()/stop case; ticker never stopped",
            "select on <-ctx.Done() in the loop and defer ticker.Stop()",
            "P1-5",
        ),
        Check(
            "SRV001",
            "P1",
            "Resilience",
            "http.Server without ReadHeaderTimeout, or http.ListenAndServe",
            "build an http.Server with ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout",
            "P1 (slowloris)",
        ),
        Check(
            "OBS001",
            "P1",
            "Observability",
            "no OpenTelemetry tracing on the server or the outbound client",
            "wrap the handler in otelhttp.NewHandler and the client in otelhttp.NewTransport",
            "NEW-1",
        ),
        Check(
            "CI001",
            "P1",
            "Testing",
            "CI pipeline missing a quality gate",
            "add the missing gates: tests, coverage >= 80%, golangci-lint, gosec, "
            "govulncheck, a secret scan, a benchmark regression check",
            "Quality Gates",
            repo=True,
        ),
        Check(
            "REC001",
            "P2",
            "Security",
            "recovery writes the stack or panic value to the response; headers logged",
            "log the panic and stack server-side, answer a generic 500, redact headers",
            "P2-1",
        ),
        Check(
            "LOG001",
            "P2",
            "Code Quality",
            "logrus, zap's sugared global or log.Printf outside main",
            "log with a *slog.Logger passed in as a dependency",
            "P2-2",
        ),
        Check(
            "ERR001",
            "P2",
            "Code Quality",
            "fmt.Errorf with %v/%s on an error; err == ErrX",
            "wrap with %w and compare with errors.Is",
            "P2-3",
            needs_types=True,
        ),
        Check(
            "LINT001",
            "P2",
            "Code Quality",
            "no .golangci.yml, or one without the review's linters and thresholds",
            "add the review's linters (errcheck, gosec, govet, staticcheck, ...) and "
            "gocyclo 15 / gocognit 20 / nestif 4",
            "P2-4",
            repo=True,
        ),
        Check(
            "OBS002",
            "P2",
            "Observability",
            "circuit breaker state not exported as a metric",
            "set gobreaker.Settings.OnStateChange to update a circuit_breaker_state gauge",
            "NEW-2",
        ),
        Check(
            "OBS003",
            "P2",
            "Observability",
            "database pool without pool statistics exported",
            "register collectors.NewDBStatsCollector(db, name) or export db.Stats()",
            "NEW-4",
        ),
        Check(
            "OBS004",
            "P2",
            "Observability",
            "no request-ID propagation",
            "accept or generate X-Request-ID in a middleware, echo it and log it",
            "NEW-5",
        ),
        Check(
            "K8S001",
            "P2",
            "Reliability",
            "k8s workload without separate liveness and readiness probes",
            "give every container a livenessProbe and a different readinessProbe",
            "K8s health",
            repo=True,
        ),
    )
}

GO_CHECKS = tuple(c.id for c in CHECKS.values() if not c.repo)
REPO_CHECKS = tuple(c.id for c in CHECKS.values() if c.repo)


@dataclass
class Finding:
    """One problem at one place. ``file`` is relative to the module root."""

    id: str
    file: str
    line: int
    col: int
    message: str
    snippet: str = ""
    suppressed: str | None = None  # the reason, when suppressed
    suppressed_kind: str = ""  # "inSource" (comment) or "external" (.svcgen-audit.yml)
    missing_file: bool = False  # the finding is about a file that does not exist

    @property
    def check(self) -> Check:
        return CHECKS[self.id]

    @property
    def priority(self) -> str:
        return self.check.priority

    @property
    def category(self) -> str:
        return self.check.category

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "priority": self.priority,
            "category": self.category,
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "message": self.message,
            "snippet": self.snippet,
            "fix": self.check.fix,
        }
        if self.suppressed is not None:
            data["suppressed_reason"] = self.suppressed
        return data


@dataclass
class CategoryScore:
    name: str
    score: float
    status: str
    blocker: bool
    findings: int


@dataclass
class ServiceResult:
    name: str
    path: str  # as given
    root: str  # the module root
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    categories: list[CategoryScore] = field(default_factory=list)
    score: float = 10.0
    checks: tuple[str, ...] = ()
    error: str | None = None

    @property
    def p0(self) -> int:
        return sum(1 for f in self.findings if f.priority == "P0")
