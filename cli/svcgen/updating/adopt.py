"""``svcgen adopt``: bake the template's hardening into an existing Go service.

Adopt is layered and never adds the service skeleton (``cmd/<name>``,
``internal/server``, ``internal/config``, ``internal/api``, ``configs/``):

* **platform**: ``internal/platform/<pkg>``, the hardening library, plus
  ``internal/platform/adapt`` (and ``adapt/gin`` when the service requires
  gin). go.mod gains the modules it needs, never lowering a version;
* **lint**: ``.golangci.yml`` with the template's rules and
  ``issues.new-from-rev`` set to the commit adopt started from, so legacy
  issues never fail the gate (an existing config is left alone and compared);
* **ci**: the gates (``svcgen.mk`` with prefixed targets and one ``include``
  line in the Makefile; ``ci/svcgen-gates.gitlab-ci.yml`` included from the
  repository's ``.gitlab-ci.yml`` through the patch-config engine, or
  ``.github/workflows/svcgen-gates.yml``), scoped to the service's folder in
  a monorepo;
* **deploy**: ``deploy/svcgen/`` (alerts, dashboard, ServiceMonitor, example
  probes), beside the service's own manifests.

Everything is planned before anything is written; an existing file is never
overwritten, and an existing platform package directory stops adopt. After
writing, ``go build ./...`` and ``go vet ./...`` must pass; otherwise every
change is undone and the compiler's first error is reported. The layers go
into the answers file; the files adopt skipped or edited go into
``.svcgen.yml`` as ``keep`` entries, which updates never touch.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcgen import vcs
from svcgen.errors import InputFileError, Location, TemplateError, UsageError, VcsError
from svcgen.updating import gomod, wire
from svcgen.updating.source import ANSWERS_FILE, read_answers, stable_source

_MODULE = re.compile(r"^\s*module\s+(?:\"([^\"]+)\"|`([^`]+)`|(\S+))\s*(?://.*)?$")

LAYERS = ("platform", "lint", "ci", "deploy")
CI_CHOICES = ("auto", "gitlab", "github")
OWNERSHIP_FILE = ".svcgen.yml"
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
LINT_CONFIGS = (".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json")
GITLAB_CI = ".gitlab-ci.yml"
GATES_GITLAB = "ci/svcgen-gates.gitlab-ci.yml"
GATES_GITHUB = ".github/workflows/svcgen-gates.yml"
INCLUDE_LINE = "include svcgen.mk"
GIN = "github.com/gin-gonic/gin"
# Data adopt computes itself: --data may not set these.
COMPUTED = ("layers", "adapters", "service_dir", "lint_new_from_rev", "ci_provider", "ci_stage")


@dataclass(frozen=True)
class AdoptOptions:
    path: Path
    layers: tuple[str, ...] = LAYERS
    ci: str = "auto"
    data: dict[str, str] = field(default_factory=dict)
    defaults: bool = False
    dry_run: bool = False
    wire: bool = False
    template: str | None = None  # default: the bundled template


@dataclass
class Edit:
    """A change to a file that exists (or a new file adopt writes beside the template's)."""

    path: str  # as shown: relative to the service, or to the repository root for root files
    summary: str
    diff: str = ""


@dataclass
class AdoptResult:
    path: str
    service_name: str
    module_path: str
    version: str | None
    layers: list[str] = field(default_factory=list)
    ci: str | None = None
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    lint_differences: list[str] = field(default_factory=list)
    unwired: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class _Plan:
    """Everything adopt will write, computed before anything is."""

    files: dict[Path, bytes] = field(default_factory=dict)  # new files (absolute) -> content
    changes: dict[Path, tuple[bytes, bytes]] = field(default_factory=dict)  # path -> (old, new)
    raises: list[gomod.Raise] = field(default_factory=list)
    go_directive: str | None = None  # raise the go directive to this


def read_module_path(go_mod: Path) -> str:
    try:
        lines = go_mod.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileError(f"cannot read it: {exc.strerror}", where=go_mod) from exc
    for number, line in enumerate(lines, start=1):
        match = _MODULE.match(line)
        if match:
            module = next(g for g in match.groups() if g)
            if not module:
                break
            return module
        if line.strip().startswith("module"):
            raise InputFileError("malformed module directive", where=Location(go_mod, number))
    raise InputFileError("no module directive", where=go_mod, fix="add `module <path>`")


def parse_layers(text: str) -> tuple[str, ...]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in LAYERS]
    if unknown or not names:
        raise UsageError(
            f"--layers {text!r}: unknown layer {', '.join(unknown) or '(none given)'}",
            fix=f"choose from {','.join(LAYERS)} (adopt never adds the service skeleton)",
        )
    return tuple(n for n in LAYERS if n in names)


def _validate(opts: AdoptOptions) -> tuple[Path, str, str]:
    path = opts.path.resolve()
    if not path.is_dir():
        raise UsageError("no such directory", where=opts.path)
    go_mod = path / "go.mod"
    if not go_mod.is_file():
        raise UsageError(
            "no go.mod: adopt works on an existing Go module",
            where=opts.path,
            fix="run it on the service's root directory",
        )
    if not vcs.is_work_tree(path) or not vcs.has_commits(path):
        raise VcsError(
            "not a git repository with a commit",
            where=opts.path,
            fix="adopt needs git history: git init && git add -A && git commit",
        )
    dirty = vcs.dirty_paths(path)
    if dirty:
        raise VcsError(
            f"refused: the git tree is dirty ({', '.join(dirty[:3])}"
            f"{' ...' if len(dirty) > 3 else ''})",
            where=opts.path,
            fix="commit or stash the changes first, so that adopt's additions can be reviewed",
        )
    if (path / ANSWERS_FILE).exists():
        raise UsageError(
            f"already under a template ({ANSWERS_FILE} exists)",
            where=opts.path,
            fix="use `svcgen update`",
        )
    if opts.ci not in CI_CHOICES:
        raise UsageError(f"--ci {opts.ci!r}", fix=f"choose one of {', '.join(CI_CHOICES)}")
    for key in COMPUTED:
        if key in opts.data:
            raise UsageError(
                f"--data {key}: adopt sets it itself",
                fix="use --layers / --ci, or drop it",
            )
    module_path = read_module_path(go_mod)
    given = opts.data.get("module_path")
    if given is not None and given != module_path:
        raise UsageError(
            f"--data module_path={given} contradicts go.mod ({module_path})",
            fix="drop --data module_path; adopt reads it from go.mod",
        )
    from svcgen.render import validate_name

    name = opts.data.get("service_name", path.name)
    if "service_name" not in opts.data:
        try:
            validate_name(name)
        except UsageError:
            raise UsageError(
                f"directory name {name!r} is not a valid service name",
                fix="pass --data service_name=NAME (a DNS-1123 label)",
            ) from None
    else:
        validate_name(name)
    return path, module_path, name


def detect_ci(root: Path, choice: str) -> str | None:
    """The CI provider of the repository: gitlab, github or None (none found)."""
    if choice != "auto":
        return choice
    if (root / GITLAB_CI).is_file():
        return "gitlab"
    if (root / ".github" / "workflows").is_dir():
        return "github"
    return None


def _ci_stage(root: Path) -> str:
    """A stage the host pipeline has: test when it declares none or has it, else .pre."""
    ci = root / GITLAB_CI
    if not ci.is_file():
        return "test"
    import yaml

    try:
        data = yaml.safe_load(ci.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputFileError(f"invalid YAML: {exc}", where=ci) from exc
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, list) or "test" in stages:
        return "test"
    return ".pre"


def adopt(opts: AdoptOptions) -> AdoptResult:
    """Validate, render aside, plan every change, then (unless dry) write and check."""
    from svcgen.render import open_template

    path, module_path, name = _validate(opts)
    root = vcs.toplevel(path).resolve()
    service_dir = path.relative_to(root).as_posix() if path != root else "."
    layers = list(opts.layers)
    ci = detect_ci(root, opts.ci) if "ci" in layers else None
    notes: list[str] = []
    if "ci" in layers and ci is None:
        notes.append(
            "no CI found (no .gitlab-ci.yml or .github/workflows at the repository root): "
            "no gates added; rerun with --ci gitlab or --ci github"
        )
    if ci is not None and ci == "gitlab" and service_dir != ".":
        ci_file = root / GITLAB_CI
        if ci_file.exists() and vcs.dirty_paths(root) and _dirty(root, GITLAB_CI):
            raise VcsError(f"refused: {ci_file} has uncommitted changes", fix="commit them first")
    modfile = gomod.read_modfile(path)
    adapters = ["gin"] if GIN in modfile.requires else []
    head = vcs.git("rev-parse", "HEAD", cwd=path).strip()

    recorded, source = _source(opts.template)
    with open_template(source) as info:
        from svcgen.render import coerce_answers

        # checked, and in copier's types (a multiselect answer becomes a list)
        given = coerce_answers(opts.data, info.questions)
        if "layers" not in info.questions:
            raise TemplateError(
                f"template {recorded} has no layers question",
                fix="adopt needs a go-service template from svcgen 0.2 or later",
            )
        template_go = str(info.questions.get("go_version", {}).get("default", "1.26"))

    go_version = template_go
    if modfile.go and gomod.compare_go(modfile.go, template_go) > 0:
        go_version = ".".join(modfile.go.split(".")[:2])
    data: dict[str, Any] = {
        **given,
        "service_name": name,
        "module_path": module_path,
        "layers": [n for n in LAYERS if n in layers and (n != "ci" or ci is not None)],
        "adapters": adapters,
        "service_dir": service_dir,
        "lint_new_from_rev": head if "lint" in layers else "",
        "ci_provider": ci or "github",
        "ci_stage": _ci_stage(root) if ci == "gitlab" else "test",
    }
    data.setdefault("go_version", go_version)

    with tempfile.TemporaryDirectory(prefix="svcgen-adopt-") as tmp:
        rendered = Path(tmp) / name
        go_mod_text = _render(recorded, source, rendered, data, opts.defaults)
        answers = read_answers(rendered)
        if not answers.commit:
            raise TemplateError(
                f"template {recorded} is not a git repository with version tags",
                fix="adopt needs a versioned template so that `svcgen update` works later",
            )
        result = AdoptResult(
            path=str(opts.path),
            service_name=name,
            module_path=module_path,
            version=answers.commit,
            layers=list(data["layers"]),
            ci=ci,
            dry_run=opts.dry_run,
        )
        result.next_steps.extend(notes)
        plan = _plan(path, root, service_dir, rendered, result, modfile, go_mod_text, opts.wire)
    if opts.dry_run:
        return result
    _apply(path, plan)
    return result


def _dirty(root: Path, rel: str) -> bool:
    out = vcs.git("status", "--porcelain", "--", rel, cwd=root)
    return bool(out.strip())


def _rel_display(path: Path, service: Path, root: Path) -> str:
    try:
        return path.relative_to(service).as_posix()
    except ValueError:
        return "/" + path.relative_to(root).as_posix()  # a repository-root file


def _diff(rel: str, old: bytes, new: bytes) -> str:
    a = old.decode("utf-8", "replace").splitlines(keepends=True)
    b = new.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}"))


def _plan(
    path: Path,
    root: Path,
    service_dir: str,
    rendered: Path,
    result: AdoptResult,
    modfile: gomod.ModFile,
    go_mod_text: str,
    do_wire: bool,
) -> _Plan:
    plan = _Plan()
    files = sorted(
        p.relative_to(rendered).as_posix()
        for p in rendered.rglob("*")
        if p.is_file() or p.is_symlink()
    )
    # An existing platform package directory stops adopt before anything is written.
    for rel in files:
        if rel.startswith("internal/platform/"):
            pkg_dir = path / Path(rel).parent
            if pkg_dir.is_dir() and not _only_platform_subdirs(
                pkg_dir, rendered / Path(rel).parent
            ):
                raise UsageError(
                    f"{pkg_dir.relative_to(path).as_posix()}/ already exists",
                    where=result.path,
                    fix="adopt never writes into an existing Go package directory; "
                    "rename or remove it, or adopt without the platform layer (--layers)",
                )
    for rel in files:
        src = rendered / rel
        target = path / rel
        if rel == GATES_GITHUB and service_dir != ".":
            # GitHub runs only the repository root's workflows.
            target = root / ".github" / "workflows" / f"svcgen-gates-{result.service_name}.yml"
        shown = _rel_display(target, path, root)
        if target.exists() or target.is_symlink():
            result.skipped.append(shown)
            if target.is_relative_to(path):
                result.keep.append(shown)
            continue
        plan.files[target] = src.read_bytes()
        result.added.append(shown)
    if "lint" in result.layers:
        existing = [n for n in LINT_CONFIGS if (path / n).exists()]
        if existing:
            result.lint_differences = lint_differences(path / existing[0], rendered)
            for n in existing:
                if n not in result.keep:
                    result.keep.append(n)
    if (path / "svcgen.mk").exists() or (path / "svcgen.mk") in plan.files:
        _plan_makefile(path, plan, result)
    if result.ci == "gitlab" and (rendered / GATES_GITLAB).is_file():
        _plan_gitlab_include(path, root, service_dir, plan, result)
    if "platform" in result.layers:
        _plan_requirements(path, rendered, modfile, go_mod_text, plan, result)
    if do_wire:
        if "platform" not in result.layers:
            raise UsageError("--wire needs the platform layer", fix="add platform to --layers")
        wplan = wire.plan(path, result.module_path, GIN in modfile.requires)
        for e in wplan.edits:
            target = path / e.path
            plan.changes[target] = (e.old.encode(), e.new.encode())
            result.edits.append(
                Edit(
                    e.path,
                    "; ".join(w.split(": ", 1)[1] for w in e.what),
                    _diff(e.path, e.old.encode(), e.new.encode()),
                )
            )
            result.keep.append(e.path)
        result.unwired.extend(wplan.unwired)
        if not wplan.edits:
            result.next_steps.append(
                "--wire found no http.Server{Handler: ...} or gin.New()/gin.Default() to wire"
            )
    own = {"go.mod", "go.sum"} if plan.raises or plan.go_directive else set()
    for rel in sorted(own):
        result.keep.append(rel)
    _plan_ownership(path, plan, result)
    _next_steps(result, do_wire)
    return plan


def _only_platform_subdirs(existing: Path, rendered: Path) -> bool:
    """True when ``existing`` holds nothing but directories the render also adds (a parent)."""
    for child in existing.iterdir():
        if child.is_file() or not (rendered / child.name).is_dir():
            return False
    return not any(f.is_file() for f in existing.iterdir())


def lint_differences(theirs: Path, rendered: Path) -> list[str]:
    """How an existing golangci-lint config differs from the template's rules."""
    import yaml

    ours_path = rendered / ".golangci.yml"
    if not ours_path.is_file():
        return []
    ours = yaml.safe_load(ours_path.read_text(encoding="utf-8")) or {}
    if theirs.suffix not in (".yml", ".yaml"):
        return [f"{theirs.name} is not YAML: compare it with the template's .golangci.yml by hand"]
    try:
        data = yaml.safe_load(theirs.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        return [f"{theirs.name} is not valid YAML ({exc}); left alone"]
    if not isinstance(data, dict):
        return [f"{theirs.name} is not a mapping; left alone"]
    out = []
    if str(data.get("version", "1")) != "2":
        out.append('not a golangci-lint v2 config (version: "2"); the gates run golangci-lint v2')

    def enabled(cfg: dict[str, Any]) -> set[str]:
        linters = cfg.get("linters") or {}
        return set(linters.get("enable") or []) if isinstance(linters, dict) else set()

    mine, yours = enabled(ours), enabled(data)
    if mine - yours:
        out.append(
            "linters the template enables and it does not: " + ", ".join(sorted(mine - yours))
        )
    if yours - mine:
        out.append("linters it enables beyond the template: " + ", ".join(sorted(yours - mine)))
    settings_ours = (ours.get("linters") or {}).get("settings") or {}
    settings_yours = (
        ((data.get("linters") or {}).get("settings") or {})
        if isinstance(data.get("linters"), dict)
        else {}
    )
    for linter in sorted(settings_ours):
        if settings_ours[linter] != settings_yours.get(linter):
            out.append(f"settings of {linter} differ from the template's")
    issues = data.get("issues") or {}
    if not (
        isinstance(issues, dict)
        and (issues.get("new-from-rev") or issues.get("new-from-merge-base"))
    ):
        out.append("no issues.new-from-rev baseline: legacy issues fail the gate")
    return out


def _plan_makefile(path: Path, plan: _Plan, result: AdoptResult) -> None:
    existing = next((path / n for n in MAKEFILES if (path / n).is_file()), None)
    if existing is None:
        text = (
            "# The service's Makefile. svcgen's gates (svcgen-test, svcgen-lint,\n"
            "# svcgen-bench-compare) come from svcgen.mk.\n"
            ".DEFAULT_GOAL := svcgen-test\n\n"
            f"{INCLUDE_LINE}\n"
        )
        plan.files[path / "Makefile"] = text.encode()
        result.added.append("Makefile")
        result.keep.append("Makefile")
        return
    old = existing.read_bytes()
    if re.search(rb"^\s*-?include\s+(\S+\s+)*svcgen\.mk\b", old, re.M):
        return
    sep = b"" if old.endswith(b"\n") or not old else b"\n"
    new = old + sep + b"\n" + INCLUDE_LINE.encode() + b"\n"
    plan.changes[existing] = (old, new)
    rel = existing.name
    result.edits.append(Edit(rel, f"added `{INCLUDE_LINE}`", _diff(rel, old, new)))
    result.keep.append(rel)


def _plan_gitlab_include(
    path: Path, root: Path, service_dir: str, plan: _Plan, result: AdoptResult
) -> None:
    from svcgen.patching.engine import patch_text
    from svcgen.patching.ops import Op
    from svcgen.patching.paths import Path as YPath

    local = "/" + (f"{service_dir}/" if service_dir != "." else "") + GATES_GITLAB
    entry = {"local": local}
    ci_file = root / GITLAB_CI
    shown = _rel_display(ci_file, path, root)
    if not ci_file.exists():
        text = (
            "# GitLab CI of the repository. svcgen's gates come from the included file.\n"
            f"include:\n  - local: {local}\n"
        )
        plan.files[ci_file] = text.encode()
        result.added.append(shown)
        if ci_file.is_relative_to(path):
            result.keep.append(shown)
        return
    import yaml

    raw = ci_file.read_bytes()
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise InputFileError(f"invalid YAML: {exc}", where=ci_file) from exc
    if not isinstance(data, dict):
        raise InputFileError("not a mapping of jobs", where=ci_file)
    current = data.get("include")
    if _includes(current, local):
        return
    if current is None:
        ops = [Op("add", YPath(("include",), pointer=True, text="/include"), [entry], rfc6902=True)]
    elif isinstance(current, list):
        ops = [
            Op("add", YPath(("include", "-"), pointer=True, text="/include/-"), entry, rfc6902=True)
        ]
    else:
        ops = [
            Op(
                "replace",
                YPath(("include",), pointer=True, text="/include"),
                [current, entry],
                rfc6902=True,
            )
        ]
    res = patch_text(raw, str(ci_file), ops, only_existing=False)
    if res.status != "changed" or res.new is None:
        raise InputFileError(f"could not add the include: {res.detail}", where=ci_file)
    plan.changes[ci_file] = (raw, res.new)
    result.edits.append(
        Edit(shown, f"include local {local}", _diff(shown.lstrip("/"), raw, res.new))
    )
    if ci_file.is_relative_to(path):
        result.keep.append(shown)


def _includes(current: Any, local: str) -> bool:
    items = current if isinstance(current, list) else [current]
    for item in items:
        value = item.get("local") if isinstance(item, dict) else item
        if isinstance(value, str) and value.lstrip("/") == local.lstrip("/"):
            return True
    return False


_IMPORT_LINE = re.compile(r'^\s*(?:[\w.]+\s+)?"([^"]+)"\s*$', re.M)


def go_imports(files: list[bytes]) -> set[str]:
    out: set[str] = set()
    for raw in files:
        text = raw.decode("utf-8", "replace")
        for block in re.findall(r"^import \((.*?)^\)", text, re.M | re.S):
            out.update(_IMPORT_LINE.findall(block))
        out.update(re.findall(r'^import (?:[\w.]+\s+)?"([^"]+)"', text, re.M))
    return out


def _plan_requirements(
    path: Path,
    rendered: Path,
    modfile: gomod.ModFile,
    go_mod_text: str,
    plan: _Plan,
    result: AdoptResult,
) -> None:
    platform = [
        p.read_bytes() for p in (rendered / "internal" / "platform").rglob("*.go") if p.is_file()
    ]
    need = gomod.needed_modules(go_imports(platform), gomod.template_requirements(go_mod_text))
    plan.raises = gomod.plan(modfile.requires, need)
    want_go = gomod.go_directive(go_mod_text)
    if want_go and (modfile.go is None or gomod.compare_go(modfile.go, want_go) < 0):
        plan.go_directive = want_go
        result.requirements.append(f"go {modfile.go or '(none)'} -> {want_go}")
    result.requirements.extend(r.describe() for r in plan.raises)
    if plan.raises or plan.go_directive:
        result.edits.append(
            Edit(
                "go.mod",
                f"{len(plan.raises)} requirement(s) added or raised"
                + (f", go {plan.go_directive}" if plan.go_directive else "")
                + "; go.sum lines added",
                "".join(f"+ {line}\n" for line in result.requirements),
            )
        )


def _plan_ownership(path: Path, plan: _Plan, result: AdoptResult) -> None:
    import yaml

    keep = sorted(set(result.keep))
    result.keep = keep
    target = path / OWNERSHIP_FILE
    header = (
        "# svcgen ownership of this service. `keep` lists the service's own files\n"
        "# (globs relative to this folder) that `svcgen update` never touches and\n"
        "# never reports conflicts on; svcgen adopt wrote the ones it skipped or edited.\n"
    )
    if target.exists():
        old = target.read_bytes()
        try:
            data = yaml.safe_load(old) or {}
        except yaml.YAMLError as exc:
            raise InputFileError(f"invalid YAML: {exc}", where=target) from exc
        if not isinstance(data, dict) or not isinstance(data.get("keep", []), list):
            raise InputFileError("must be a mapping with a `keep` list", where=target)
        merged = sorted(set(data.get("keep") or []) | set(keep))
        if merged == sorted(data.get("keep") or []):
            return
        data["keep"] = merged
        new = (header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)).encode()
        plan.changes[target] = (old, new)
        result.edits.append(
            Edit(OWNERSHIP_FILE, "keep entries added", _diff(OWNERSHIP_FILE, old, new))
        )
        return
    body = yaml.safe_dump({"keep": keep}, sort_keys=False, default_flow_style=False)
    plan.files[target] = (header + body).encode()
    result.added.append(OWNERSHIP_FILE)


def _next_steps(result: AdoptResult, do_wire: bool) -> None:
    steps = result.next_steps
    steps.append("review with `git status` and `git diff`, then commit")
    if "platform" in result.layers and not do_wire:
        steps.append(
            "wire the platform chain into the server: `svcgen adopt --wire` did not run; "
            "see docs/adopt.md (net/http, chi, gin, echo, kratos)"
        )
    if result.unwired:
        steps.append("wire these by hand (docs/adopt.md): " + "; ".join(result.unwired))
    if "lint" in result.layers:
        steps.append(
            "ratchet the lint baseline as legacy issues are fixed: "
            "svcgen update --data lint_new_from_rev=$(git rev-parse HEAD)"
        )
    if result.lint_differences:
        steps.append(
            "align the existing golangci-lint config: " + "; ".join(result.lint_differences)
        )


def _apply(path: Path, plan: _Plan) -> None:
    """Write the plan, adjust go.mod, check the build; undo everything on failure."""
    created: list[Path] = []
    made_dirs: list[Path] = []
    originals: dict[Path, bytes] = {}
    for name in ("go.mod", "go.sum"):
        p = path / name
        if p.is_file():
            originals[p] = p.read_bytes()
    try:
        for target, (old, new) in plan.changes.items():
            if target.read_bytes() != old:
                raise InputFileError("changed while adopting; left alone", where=target)
            originals.setdefault(target, old)
            _write(target, new)
        for target, content in plan.files.items():
            made_dirs.extend(_mkdirs(target.parent))
            if target.exists():
                raise InputFileError("appeared while adopting; left alone", where=target)
            _write(target, content)
            created.append(target)
        _go_requirements(path, plan)
        _check_build(path)
    except BaseException:
        for target in reversed(created):
            target.unlink(missing_ok=True)
        for target, old in originals.items():
            if target.exists() and target.read_bytes() != old:
                _write(target, old)
        if (path / "go.sum") not in originals:
            (path / "go.sum").unlink(missing_ok=True)  # go get wrote it
        for d in sorted(made_dirs, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise


def _mkdirs(directory: Path) -> list[Path]:
    made = []
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        d.mkdir()
        made.append(d)
    return made


def _write(target: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644 if not content.startswith(b"#!") else 0o755)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _go_fail(step: str, proc: Any) -> UsageError:
    detail = gomod.first_error((proc.stderr or "") + "\n" + (proc.stdout or ""))
    return UsageError(
        f"{step} failed after adopting: {detail}",
        fix="nothing was changed; fix the service (or pass --layers without platform) and retry",
    )


def _go_requirements(path: Path, plan: _Plan) -> None:
    if plan.go_directive:
        proc = gomod.go(["mod", "edit", f"-go={plan.go_directive}"], path, timeout=60)
        if proc.returncode != 0:
            raise _go_fail("go mod edit -go", proc)
    if plan.raises:
        args = ["get", *(f"{r.module}@{r.want}" for r in plan.raises)]
        proc = gomod.go(args, path)
        if proc.returncode != 0:
            raise _go_fail("go get", proc)
    # go.sum lines for every package the build and the tests of the new code need.
    for args in (["build", "-mod=mod", "./..."], ["vet", "-mod=mod", "./..."]):
        proc = gomod.go(args, path)
        if proc.returncode != 0:
            raise _go_fail("go " + args[0], proc)


def _check_build(path: Path) -> None:
    for args in (["build", "-mod=readonly", "./..."], ["vet", "-mod=readonly", "./..."]):
        proc = gomod.go(args, path)
        if proc.returncode != 0:
            raise _go_fail("go " + args[0], proc)


def _source(template: str | None) -> tuple[str, str]:
    """(what the answers file records, what copier reads)."""
    from svcgen.render import BUNDLED_TEMPLATE, resolve_template
    from svcgen.updating.source import bundled_source

    if template is None:
        return stable_source(BUNDLED_TEMPLATE), str(bundled_source())
    src = resolve_template(template)
    return src, src


def _render(recorded: str, source: str, dest: Path, data: dict[str, Any], defaults: bool) -> str:
    """Render the template into dest; return its go.mod rendered with the same answers."""
    from copier.errors import CopierError

    from svcgen.updating.worker import worker_class

    try:
        with worker_class()(
            src_path=source,
            dst_path=dest,
            data=data,
            defaults=defaults,
            quiet=True,
            skip_tasks=False,
            svcgen_project=dest,  # tasks are collected as skipped, never run
            svcgen_trust=False,
            svcgen_sources={recorded: source},
            svcgen_log=[],
        ) as worker:
            worker.run_copy()
            template_root = Path(worker.template.local_abspath)
            sub = worker.template.subdirectory
            go_mod = template_root / sub / "go.mod.jinja"
            if not go_mod.is_file():
                raise TemplateError(f"template {recorded} has no go.mod.jinja")
            context = dict(worker.answers.combined)
            text = worker.jinja_env.from_string(go_mod.read_text(encoding="utf-8")).render(
                **context
            )
            return str(text)
    except CopierError as exc:
        raise TemplateError(f"cannot render {recorded}: {exc}") from exc
    except ValueError as exc:
        raise UsageError(f"invalid answer: {exc}") from exc


__all__ = ["LAYERS", "AdoptOptions", "AdoptResult", "Edit", "adopt", "parse_layers"]
