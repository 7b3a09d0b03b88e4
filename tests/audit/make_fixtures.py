"""Writes tests/audit/fixtures/ (run once; the files are committed)."""
from pathlib import Path
import textwrap

ROOT = Path(__file__).parent / "fixtures"

STUBS = {
    "jwt": ("github.com/golang-jwt/jwt/v5", "jwt", """
        package jwt

        type SigningMethod interface{ Alg() string }
        type SigningMethodHMAC struct{}

        func (*SigningMethodHMAC) Alg() string { return "HS256" }

        type Claims interface{}
        type MapClaims map[string]interface{}
        type Token struct {
        	Claims Claims
        	Method SigningMethod
        }
        type Keyfunc func(*Token) (interface{}, error)
        type parser struct{}
        type ParserOption func(*parser)

        func Parse(s string, kf Keyfunc, opts ...ParserOption) (*Token, error) { return &Token{}, nil }
        func WithExpirationRequired() ParserOption                          { return func(*parser) {} }
        func WithValidMethods(m []string) ParserOption                      { return func(*parser) {} }
        """),
    "jwtgo": ("github.com/dgrijalva/jwt-go", "jwt", """
        package jwt

        func Parse(s string) error { return nil }
        """),
    "gocache": ("github.com/patrickmn/go-cache", "cache", """
        package cache

        import "time"

        const NoExpiration time.Duration = -1

        type Cache struct{}

        func New(defaultExpiration, cleanupInterval time.Duration) *Cache { return &Cache{} }
        func (c *Cache) Set(k string, x interface{}, d time.Duration)     {}
        func (c *Cache) Get(k string) (interface{}, bool)                 { return nil, false }
        """),
    "gobreaker": ("github.com/sony/gobreaker", "gobreaker", """
        package gobreaker

        type State int
        type Settings struct {
        	Name          string
        	OnStateChange func(name string, from State, to State)
        }
        type CircuitBreaker struct{}

        func NewCircuitBreaker(st Settings) *CircuitBreaker { return &CircuitBreaker{} }
        """),
    "logrus": ("github.com/sirupsen/logrus", "logrus", """
        package logrus

        func Infof(format string, args ...interface{}) {}
        """),
    "zap": ("go.uber.org/zap", "zap", """
        package zap

        type SugaredLogger struct{}

        func (*SugaredLogger) Infof(string, ...interface{}) {}
        func S() *SugaredLogger                             { return &SugaredLogger{} }
        """),
    "otelhttp": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "otelhttp", """
        package otelhttp

        import "net/http"

        func NewHandler(h http.Handler, op string) http.Handler { return h }
        """),
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))


def gomod(name: str, deps: list[str]) -> str:
    lines = [f"module example.com/{name}", "", "go 1.26", ""]
    for d in deps:
        mod = STUBS[d][0]
        lines += [f"require {mod} v1.0.0", f"replace {mod} => ../../_stubs/{d}", ""]
    return "\n".join(lines)


SERVER_OK = """
    package main

    import (
    	"net/http"
    	"time"
    )

    func main() {
    	srv := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
    	_ = srv.ListenAndServe()
    }
    """

# check id -> {"bad"|"good": ({relpath: source}, deps)}
CASES: dict[str, dict[str, tuple[dict[str, str], list[str]]]] = {
    "CTX001": {
        "bad": ({"upload/upload.go": """
            package upload

            import "context"

            type FileManager interface {
            	DownloadFile(ctx context.Context, dst *[]byte, location, name string) error
            }

            type UploadProcessor struct{ fileManager FileManager }

            // ProcessFile is the review's P0-1 WRONG code.
            func (u *UploadProcessor) ProcessFile(fileLocation string, fileName string) error {
            	var downloadedFile []byte
            	err := u.fileManager.DownloadFile(context.Background(), &downloadedFile, fileLocation, fileName) // want CTX001
            	return err
            }

            type Manager struct{}

            func (m *Manager) CheckAll(ctx context.Context) string { return "ok" }

            type Handler struct{ manager *Manager }

            func (h *Handler) GetHealth() string {
            	return h.manager.CheckAll(context.TODO()) // want CTX001
            }
            """}, []),
        "good": ({"upload/upload.go": """
            package upload

            import (
            	"context"
            	"fmt"
            	"time"
            )

            type FileManager interface {
            	DownloadFile(ctx context.Context, dst *[]byte, location, name string) error
            }

            type UploadProcessor struct{ fileManager FileManager }

            func (u *UploadProcessor) ProcessFile(ctx context.Context, fileLocation, fileName string) error {
            	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
            	defer cancel()
            	if err := ctx.Err(); err != nil {
            		return fmt.Errorf("context cancelled: %w", err)
            	}
            	var downloadedFile []byte
            	return u.fileManager.DownloadFile(ctx, &downloadedFile, fileLocation, fileName)
            }
            """,
            "cmd/app/main.go": """
            package main

            import "context"

            func main() { _ = context.Background() }
            """,
            "examples/client/client.go": """
            package client

            import "context"

            func Example() context.Context { return context.Background() }
            """}, []),
    },
    "AUTH001": {
        "bad": ({"middleware/auth.go": """
            package middleware

            import (
            	"context"
            	"net/http"
            )

            type MapClaims map[string]interface{}

            type Claims interface{}

            type Token struct{ Claims Claims }

            type ctxKey struct{}

            func parse(r *http.Request) *Token { return &Token{Claims: MapClaims{}} }

            // OptionalAuth is the review's P0-2 WRONG code: a claim of another
            // type panics the request.
            func OptionalAuth(next http.Handler) http.Handler {
            	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
            		token := parse(r)
            		claims := token.Claims.(MapClaims) // want AUTH001
            		userID := claims["user_id"].(string) // want AUTH001
            		role := claims["role"].(string) // want AUTH001
            		ctx := context.WithValue(r.Context(), ctxKey{}, userID+role)
            		next.ServeHTTP(w, r.WithContext(ctx))
            	})
            }
            """}, []),
        "good": ({"middleware/auth.go": """
            package middleware

            import (
            	"context"
            	"net/http"
            )

            type MapClaims map[string]interface{}

            type Claims interface{}

            type Token struct{ Claims Claims }

            type ctxKey struct{}

            func parse(r *http.Request) *Token { return &Token{Claims: MapClaims{}} }

            func OptionalAuth(next http.Handler) http.Handler {
            	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
            		token := parse(r)
            		if claims, ok := token.Claims.(MapClaims); ok {
            			if userID, ok := claims["user_id"].(string); ok {
            				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, userID))
            			}
            			switch role := claims["role"].(type) {
            			case string:
            				_ = role
            			}
            		}
            		next.ServeHTTP(w, r)
            	})
            }
            """}, []),
    },
    "AUTH002": {
        "bad": ({"auth/auth.go": """
            package auth

            import (
            	"github.com/golang-jwt/jwt/v5"
            	legacy "github.com/dgrijalva/jwt-go" // want AUTH002
            )

            func keyFunc(*jwt.Token) (interface{}, error) { return []byte("k"), nil }

            func Verify(s string) (*jwt.Token, error) {
            	_ = legacy.Parse(s)
            	return jwt.Parse(s, keyFunc) // want AUTH002
            }
            """}, ["jwt", "jwtgo"]),
        "good": ({"auth/auth.go": """
            package auth

            import "github.com/golang-jwt/jwt/v5"

            func keyFunc(*jwt.Token) (interface{}, error) { return []byte("k"), nil }

            func Verify(s string) (*jwt.Token, error) {
            	return jwt.Parse(s, keyFunc, jwt.WithExpirationRequired(), jwt.WithValidMethods([]string{"HS256"}))
            }
            """}, ["jwt"]),
    },
    "BODY001": {
        "bad": ({"client/http_client.go": """
            package client

            import (
            	"io"
            	"net/http"
            )

            // Fetch is the review's P1-2 WRONG code.
            func Fetch(client *http.Client, req *http.Request) ([]byte, error) {
            	resp, err := client.Do(req)
            	if err != nil {
            		return nil, err
            	}
            	defer resp.Body.Close()

            	body, err := io.ReadAll(resp.Body) // want BODY001
            	return body, err
            }

            func Handle(w http.ResponseWriter, r *http.Request) {
            	data, _ := io.ReadAll(r.Body) // want BODY001
            	_, _ = w.Write(data)
            }
            """}, []),
        "good": ({"client/http_client.go": """
            package client

            import (
            	"io"
            	"net/http"
            )

            const maxResponseSize = 10 << 20

            func Fetch(client *http.Client, req *http.Request) ([]byte, error) {
            	resp, err := client.Do(req)
            	if err != nil {
            		return nil, err
            	}
            	defer resp.Body.Close()
            	return io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
            }

            func Handle(w http.ResponseWriter, r *http.Request) {
            	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
            	data, _ := io.ReadAll(r.Body)
            	_, _ = w.Write(data)
            }
            """}, []),
    },
    "HEALTH001": {
        "bad": ({"health/manager.go": """
            package health

            import (
            	"context"
            	"time"

            	"github.com/patrickmn/go-cache"
            )

            type HealthStatus struct{ OK bool }

            type store interface {
            	Get(key string) interface{}
            	Set(key string, v interface{}, ttl time.Duration)
            }

            type Manager struct{ cache store }

            func (m *Manager) runChecks(ctx context.Context) *HealthStatus { return &HealthStatus{OK: true} }

            // CheckAll is the review's P1-3 WRONG code: the cache lasts forever.
            func (m *Manager) CheckAll(ctx context.Context) *HealthStatus {
            	if cached := m.cache.Get("health"); cached != nil {
            		if s, ok := cached.(*HealthStatus); ok {
            			return s
            		}
            	}
            	result := m.runChecks(ctx)
            	m.cache.Set("health", result, 0) // want HEALTH001
            	return result
            }

            func NewCache() *cache.Cache {
            	return cache.New(cache.NoExpiration, time.Minute) // want HEALTH001
            }
            """}, ["gocache"]),
        "good": ({"health/manager.go": """
            package health

            import (
            	"context"
            	"time"

            	"github.com/patrickmn/go-cache"
            )

            const cacheTTL = 5 * time.Second

            type HealthStatus struct{ OK bool }

            type store interface {
            	Get(key string) interface{}
            	Set(key string, v interface{}, ttl time.Duration)
            }

            type Manager struct{ cache store }

            func (m *Manager) runChecks(ctx context.Context) *HealthStatus { return &HealthStatus{OK: true} }

            func (m *Manager) CheckAll(ctx context.Context) *HealthStatus {
            	if cached := m.cache.Get("health"); cached != nil {
            		if s, ok := cached.(*HealthStatus); ok {
            			return s
            		}
            	}
            	result := m.runChecks(ctx)
            	m.cache.Set("health", result, cacheTTL)
            	return result
            }

            func NewCache() *cache.Cache { return cache.New(cacheTTL, time.Minute) }
            """}, ["gocache"]),
    },
    "CNT001": {
        "bad": ({"worker/base_worker.go": """
            package worker

            import "sync/atomic"

            // WorkerMetrics is the review's P1-4 code before the fix.
            type WorkerMetrics struct {
            	TotalRuns   atomic.Int64 // want CNT001
            	SuccessRuns atomic.Int64 // want CNT001
            	FailedRuns  int64 // want CNT001
            }

            func (m *WorkerMetrics) Record(ok bool) {
            	m.TotalRuns.Add(1)
            	if ok {
            		m.SuccessRuns.Add(1)
            	} else {
            		atomic.AddInt64(&m.FailedRuns, 1)
            	}
            }

            func (m *WorkerMetrics) Snapshot() (int64, int64, int64) {
            	return m.TotalRuns.Load(), m.SuccessRuns.Load(), atomic.LoadInt64(&m.FailedRuns)
            }
            """}, []),
        "good": ({"worker/base_worker.go": """
            package worker

            import "sync/atomic"

            type WorkerMetrics struct {
            	TotalRuns   atomic.Uint64
            	SuccessRuns atomic.Uint64
            	FailedRuns  atomic.Uint64
            	InFlight    atomic.Int64 // a gauge: goes up and down
            }

            func (m *WorkerMetrics) Record(ok bool) {
            	m.InFlight.Add(1)
            	defer m.InFlight.Add(-1)
            	m.TotalRuns.Add(1)
            	if ok {
            		m.SuccessRuns.Add(1)
            	} else {
            		m.FailedRuns.Add(1)
            	}
            }
            """}, []),
    },
    "GO001": {
        "bad": ({"worker/base_worker.go": """
            package worker

            import "time"

            type BaseWorker struct {
            	interval time.Duration
            	runs     int
            }

            func (w *BaseWorker) execute() { w.runs++ }

            // Start is the review's P1-5 leak: nothing ends the goroutine and
            // the ticker is never stopped.
            func (w *BaseWorker) Start() {
            	ticker := time.NewTicker(w.interval) // want GO001
            	go func() {
            		for { // want GO001
            			select {
            			case <-ticker.C:
            				w.execute()
            			}
            		}
            	}()
            }
            """}, []),
        "good": ({"worker/base_worker.go": """
            package worker

            import (
            	"context"
            	"time"
            )

            type BaseWorker struct {
            	interval time.Duration
            	stopCh   chan struct{}
            	runs     int
            }

            func (w *BaseWorker) execute(ctx context.Context) { w.runs++ }

            func (w *BaseWorker) Run(ctx context.Context) error {
            	ticker := time.NewTicker(w.interval)
            	defer ticker.Stop()
            	for {
            		select {
            		case <-ctx.Done():
            			return ctx.Err()
            		case <-ticker.C:
            			w.execute(ctx)
            		case <-w.stopCh:
            			return nil
            		}
            	}
            }

            func (w *BaseWorker) Start(ctx context.Context) { go w.Run(ctx) }
            """}, []),
    },
    "REC001": {
        "bad": ({"middleware/recovery.go": """
            package middleware

            import (
            	"fmt"
            	"log/slog"
            	"net/http"
            	"runtime/debug"
            )

            // Recovery is the review's P2-1 problem: the stack and the panic
            // value reach the client, and every header reaches the log.
            func Recovery(logger *slog.Logger, next http.Handler) http.Handler {
            	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
            		defer func() {
            			if err := recover(); err != nil {
            				logger.Error("panic", "headers", r.Header) // want REC001
            				w.WriteHeader(http.StatusInternalServerError)
            				fmt.Fprintf(w, "panic: %v\\n%s", err, debug.Stack()) // want REC001
            			}
            		}()
            		next.ServeHTTP(w, r)
            	})
            }
            """}, []),
        "good": ({"middleware/recovery.go": """
            package middleware

            import (
            	"log/slog"
            	"net/http"
            	"runtime/debug"
            )

            func Recovery(logger *slog.Logger, next http.Handler) http.Handler {
            	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
            		defer func() {
            			if err := recover(); err != nil {
            				logger.Error("panic", slog.Any("panic", err), slog.String("stack", string(debug.Stack())),
            					slog.String("user_agent", r.Header.Get("User-Agent")))
            				http.Error(w, "internal error", http.StatusInternalServerError)
            			}
            		}()
            		next.ServeHTTP(w, r)
            	})
            }
            """}, []),
    },
    "LOG001": {
        "bad": ({"svc/logger.go": """
            package svc

            import (
            	"log"

            	"github.com/sirupsen/logrus" // want LOG001
            	"go.uber.org/zap"
            )

            func Work() {
            	logrus.Infof("working")
            	log.Printf("working %d", 1) // want LOG001
            	zap.S().Infof("working") // want LOG001
            }
            """}, ["logrus", "zap"]),
        "good": ({"svc/logger.go": """
            package svc

            import "log/slog"

            func Work(logger *slog.Logger) { logger.Info("working", "n", 1) }
            """,
            "cmd/app/main.go": """
            package main

            import "log"

            func main() { log.Printf("starting") }
            """}, []),
    },
    "ERR001": {
        "bad": ({"repo/repo.go": """
            package repo

            import (
            	"errors"
            	"fmt"
            	"net/http"
            )

            var ErrNotFound = errors.New("not found")

            func fetch(id string) error { return ErrNotFound }

            // Get mixes the patterns the review's P2-3 standardises away.
            func Get(userID string) error {
            	if err := fetch(userID); err != nil {
            		return fmt.Errorf("failed to fetch user %s: %v", userID, err) // want ERR001
            	}
            	return nil
            }

            func Status(err error) int {
            	if err == ErrNotFound { // want ERR001
            		return http.StatusNotFound
            	}
            	return http.StatusOK
            }
            """}, []),
        "good": ({"repo/repo.go": """
            package repo

            import (
            	"errors"
            	"fmt"
            	"net/http"
            )

            var ErrNotFound = errors.New("not found")

            func fetch(id string) error { return ErrNotFound }

            func Get(userID string) error {
            	if err := fetch(userID); err != nil {
            		return fmt.Errorf("failed to fetch user %s: %w", userID, err)
            	}
            	return nil
            }

            func Status(err error) int {
            	if errors.Is(err, ErrNotFound) {
            		return http.StatusNotFound
            	}
            	return http.StatusOK
            }
            """}, []),
    },
    "SRV001": {
        "bad": ({"cmd/app/main.go": """
            package main

            import "net/http"

            func main() {
            	srv := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler()} // want SRV001
            	go func() { _ = srv.ListenAndServe() }()
            	_ = http.ListenAndServe(":8081", nil) // want SRV001
            }
            """}, []),
        "good": ({"cmd/app/main.go": SERVER_OK}, []),
    },
    "OBS001": {
        "bad": ({"cmd/app/main.go": """
            package main

            import (
            	"net/http"
            	"time"
            )

            func main() {
            	srv := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second} // want OBS001
            	_ = srv.ListenAndServe()
            }
            """}, []),
        "good": ({"cmd/app/main.go": """
            package main

            import (
            	"net/http"
            	"time"

            	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
            )

            func main() {
            	h := otelhttp.NewHandler(http.NotFoundHandler(), "server")
            	srv := &http.Server{Addr: ":8080", Handler: h, ReadHeaderTimeout: 5 * time.Second}
            	_ = srv.ListenAndServe()
            }
            """}, ["otelhttp"]),
    },
    "OBS002": {
        "bad": ({"client/breaker.go": """
            package client

            import "github.com/sony/gobreaker"

            func NewBreaker() *gobreaker.CircuitBreaker {
            	return gobreaker.NewCircuitBreaker(gobreaker.Settings{Name: "upstream"}) // want OBS002
            }
            """}, ["gobreaker"]),
        "good": ({"client/breaker.go": """
            package client

            import (
            	"expvar"

            	"github.com/sony/gobreaker"
            )

            var breakerState = expvar.NewInt("circuit_breaker_state")

            func NewBreaker() *gobreaker.CircuitBreaker {
            	return gobreaker.NewCircuitBreaker(gobreaker.Settings{
            		Name: "upstream",
            		OnStateChange: func(name string, from, to gobreaker.State) {
            			breakerState.Set(int64(to))
            		},
            	})
            }
            """}, ["gobreaker"]),
    },
    "OBS003": {
        "bad": ({"store/db.go": """
            package store

            import "database/sql"

            func Open(dsn string) (*sql.DB, error) {
            	return sql.Open("postgres", dsn) // want OBS003
            }
            """}, []),
        "good": ({"store/db.go": """
            package store

            import (
            	"database/sql"
            	"expvar"
            )

            func Open(dsn string) (*sql.DB, error) {
            	db, err := sql.Open("postgres", dsn)
            	if err != nil {
            		return nil, err
            	}
            	expvar.Publish("db_pool", expvar.Func(func() any { return db.Stats() }))
            	return db, nil
            }
            """}, []),
    },
    "OBS004": {
        "bad": ({"cmd/app/main.go": """
            package main

            import (
            	"net/http"
            	"time"
            )

            func main() {
            	srv := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second} // want OBS004
            	_ = srv.ListenAndServe()
            }
            """}, []),
        "good": ({"cmd/app/main.go": """
            package main

            import (
            	"crypto/rand"
            	"encoding/hex"
            	"net/http"
            	"time"
            )

            const requestIDHeader = "X-Request-ID"

            func requestID(next http.Handler) http.Handler {
            	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
            		id := r.Header.Get(requestIDHeader)
            		if id == "" {
            			b := make([]byte, 8)
            			_, _ = rand.Read(b)
            			id = hex.EncodeToString(b)
            		}
            		w.Header().Set(requestIDHeader, id)
            		next.ServeHTTP(w, r)
            	})
            }

            func main() {
            	srv := &http.Server{Addr: ":8080", Handler: requestID(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
            	_ = srv.ListenAndServe()
            }
            """}, []),
    },
    "RL001": {
        "bad": ({"configs/config-production.yaml": """
            # The review's P0-3 config before the fix.
            middleware:
              ratelimit: # want RL001
                enabled: true
                default_limit: 100
                default_window: 60s
            """,
            "configs/config-prod-eu.yaml": """
            middleware:
              ratelimit:
                enabled: true
                fail_closed: false # want RL001
            """}, []),
        "good": ({"configs/config-production.yaml": """
            middleware:
              ratelimit:
                enabled: true
                fail_closed: true
                default_limit: 100
                default_window: 60s
            """,
            "configs/config.yaml": """
            middleware:
              ratelimit:
                enabled: true
            """}, []),
    },
    "LINT001": {
        "bad": ({".golangci.yml": """
            version: "2"
            linters: # want LINT001
              enable:
                - errcheck
                - govet
            """}, []),
        "good": ({".golangci.yml": """
            # The review's P2-4 recommended configuration.
            linters:
              enable:
                - errcheck       # Check error handling
                - gosec          # Security issues
                - govet          # Go vet checks
                - staticcheck    # Advanced static analysis
                - ineffassign    # Ineffective assignments
                - unused         # Unused code
                - gosimple       # Simplify code
                - gocyclo        # Cyclomatic complexity (max: 15)
                - gocognit       # Cognitive complexity (max: 20)
                - nestif         # Deep nesting (max: 4 levels)
                - goconst        # Repeated strings/constants
                - dupl           # Code duplication
                - misspell       # Spelling mistakes

            linters-settings:
              gocyclo:
                min-complexity: 15
              gocognit:
                min-complexity: 20
              nestif:
                min-complexity: 4
            """}, []),
    },
    "CI001": {
        "bad": ({".gitlab-ci.yml": """
            # want CI001
            test:
              script:
                - go test ./...
            """}, []),
        "good": ({".gitlab-ci.yml": """
            variables:
              COVERAGE_MIN: "80"
            test:
              script:
                - go test -race -coverprofile=coverage.out ./...
                - go tool cover -func=coverage.out
            lint:
              script:
                - golangci-lint run ./...
            gosec:
              script:
                - golangci-lint run --enable-only gosec ./...
            govulncheck:
              script:
                - govulncheck ./...
            secrets:
              script:
                - gitleaks detect --source .
            bench:
              script:
                - go test -run '^$' -bench . -count 10 ./... > new.txt
                - benchstat old.txt new.txt
            """}, []),
    },
    "K8S001": {
        "bad": ({"deploy/k8s/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
            spec:
              template:
                spec:
                  containers:
                    - name: app # want K8S001
                      image: app:1
                      livenessProbe:
                        httpGet: {path: /healthz, port: 8080}
                    - name: sidecar # want K8S001
                      image: sidecar:1
                      livenessProbe:
                        httpGet: {path: /healthz, port: 9090}
                      readinessProbe:
                        httpGet: {path: /healthz, port: 9090}
            """}, []),
        "good": ({"deploy/k8s/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      image: app:1
                      livenessProbe:
                        httpGet: {path: /healthz, port: 8080}
                      readinessProbe:
                        httpGet: {path: /readyz, port: 8080}
            """}, []),
    },
}


def main() -> None:
    for d, (mod, _pkg, src) in STUBS.items():
        write(ROOT / "_stubs" / d / "go.mod", f"module {mod}\n\ngo 1.26\n")
        write(ROOT / "_stubs" / d / "stub.go", src)
    for cid, sides in CASES.items():
        for side, (files, deps) in sides.items():
            base = ROOT / cid / side
            write(base / "go.mod", gomod(f"{cid.lower()}{side}", deps))
            for rel, src in files.items():
                write(base / rel, src)


if __name__ == "__main__":
    main()
