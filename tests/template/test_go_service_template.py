"""The go-service template renders into a service that is green as generated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import TEMPLATE_DIR, render, run
