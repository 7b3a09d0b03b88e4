"""The ``--campaign FILE`` record: each repository's last result.

A JSON document, rewritten atomically (temporary file, then ``os.replace``)
after every run::

    {
      "schema_version": 1,
      "command": "patch-config",
      "branch": "svcgen/ratelimit-fail-closed",
      "repositories": {
        "/srv/repos/orders": {
          "name": "orders", "services": ["orders"], "status": "pushed", "ok": true,
          "branch": "svcgen/ratelimit-fail-closed", "commit": "3f2c...", "pushed": true,
          "merge_request": "https://gitlab.example.com/team/orders/-/merge_requests/7",
          "error": null, "updated_at": "2026-12-01T15:00:00Z"
        }
      }
    }

``ok`` is what ``--only-failed`` reads: a repository is run again unless its
last result was a success (no change, committed, or pushed when ``--push``
was asked; merge request opened when ``--merge-request`` was asked).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svcgen.errors import InputFileError, UsageError

SCHEMA_VERSION = 1


@dataclass
class Record:
    path: Path
    command: str
    branch: str
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)

    def succeeded(self, repo: Path) -> bool:
        entry = self.repositories.get(str(repo))
        return bool(entry and entry.get("ok"))

    def entry(self, repo: Path) -> dict[str, Any] | None:
        return self.repositories.get(str(repo))

    def save(self) -> None:
        data = {
            "schema_version": SCHEMA_VERSION,
            "command": self.command,
            "branch": self.branch,
            "repositories": self.repositories,
        }
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputFileError(
                f"cannot write the campaign file: {exc.strerror}", where=self.path
            ) from exc


def load(path: Path, command: str, branch: str, *, must_exist: bool) -> Record:
    """Read (or start) the record of a campaign; every problem is a one-line error."""
    if not path.exists():
        if must_exist:
            raise UsageError(
                f"--only-failed: the campaign file {path} does not exist yet",
                fix="run the campaign once with --campaign FILE first",
            )
        if not path.parent.is_dir():
            raise UsageError(f"--campaign {path}: the directory {path.parent} does not exist")
        return Record(path=path, command=command, branch=branch)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"cannot read the campaign file: {exc.strerror}", where=path) from exc
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"not a campaign file: invalid JSON ({exc.msg})",
            where=f"{path}:{exc.lineno}:{exc.colno}",
            fix="give a new file name, or delete this one to start the campaign afresh",
        ) from exc
    repos = data.get("repositories") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("schema_version") != SCHEMA_VERSION
        or not isinstance(repos, dict)
    ):
        raise InputFileError(
            "not a campaign file (no schema_version 1 and repositories)",
            where=path,
            fix="give a new file name, or delete this one to start the campaign afresh",
        )
    if data.get("command") != command or data.get("branch") != branch:
        raise UsageError(
            f"--campaign {path} records `svcgen {data.get('command')}` on branch "
            f"{data.get('branch')!r}, not `svcgen {command}` on {branch!r}",
            fix="use one campaign file per command and branch",
        )
    return Record(path=path, command=command, branch=branch, repositories=dict(repos))
