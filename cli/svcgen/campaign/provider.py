"""Merge requests: which provider hosts a remote, and how to ask it for one.

* **GitLab**: git push options (``merge_request.create`` and friends), so no
  token or API client is needed: the push itself opens the merge request, and
  GitLab prints its URL back (``remote:   https://.../-/merge_requests/7``).
* **GitHub**: ``gh pr create`` when ``gh`` is on PATH; else the compare URL
  (``https://github.com/OWNER/REPO/compare/BASE...BRANCH?expand=1``), which
  opens the pull request form in a browser.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Provider = Literal["gitlab", "github"]
PROVIDERS: tuple[Provider, ...] = ("gitlab", "github")

_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_URL = re.compile(r"^[a-z+]+://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")
_MR_URL = re.compile(r"https?://\S+/merge_requests/\d+")
_HTTP = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class RemoteUrl:
    host: str
    path: str  # "owner/repo" (".git" removed); GitLab groups may nest


def parse_remote_url(url: str) -> RemoteUrl | None:
    """Host and project path of an SSH, scp-like or HTTP(S) remote URL."""
    match = _URL.match(url) or (None if "://" in url else _SCP.match(url))
    if match is None:
        return None
    path = match["path"].strip("/").removesuffix(".git")
    return RemoteUrl(host=match["host"].lower(), path=path) if path else None


def detect(url: str | None) -> Provider | None:
    """gitlab or github from the remote URL's host, else None."""
    if not url:
        return None
    parsed = parse_remote_url(url)
    host = parsed.host if parsed else url.lower()
    for provider in PROVIDERS:
        if provider in host:
            return provider
    return None


def gitlab_push_options(target: str, title: str) -> list[str]:
    """The push options that make GitLab open a merge request for the pushed branch."""
    return [
        "merge_request.create",
        f"merge_request.target={target}",
        f"merge_request.title={title}",
        "merge_request.remove_source_branch",
    ]


def gitlab_mr_url(push_output: str) -> str | None:
    """The merge request URL GitLab prints back after a push, if any."""
    found = _MR_URL.findall(push_output)
    return found[-1] if found else None


def compare_url(url: str | None, base: str, branch: str) -> str | None:
    """GitHub's "open a pull request" page for ``branch`` against ``base``."""
    parsed = parse_remote_url(url) if url else None
    if parsed is None:
        return None
    return f"https://{parsed.host}/{parsed.path}/compare/{base}...{branch}?expand=1"


@dataclass(frozen=True)
class PullRequest:
    url: str | None
    error: str | None = None
    via: str = "gh"  # "gh" or "compare-url"


def github_pull_request(
    repo: Path, url: str | None, base: str, branch: str, title: str, body: str
) -> PullRequest:
    """``gh pr create`` when gh is on PATH, else the compare URL (nothing is created)."""
    gh = shutil.which("gh")
    if gh is None:
        return PullRequest(url=compare_url(url, base, branch), via="compare-url")
    args = [gh, "pr", "create", "--head", branch, "--base", base, "--title", title]
    args += ["--body", body]
    parsed = parse_remote_url(url) if url else None
    if parsed is not None:
        args += ["--repo", f"{parsed.host}/{parsed.path}"]
    env = {**os.environ, "GH_PROMPT_DISABLED": "1", "NO_COLOR": "1"}
    proc = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, check=False)
    found = _HTTP.findall(proc.stdout)
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        return PullRequest(url=None, error=f"gh pr create failed: {detail}")
    return PullRequest(url=found[-1] if found else None)
