#!/usr/bin/env bash
# Static checks, before the tests in CI: ruff; mypy (strict on core/ and sim/, default on ui/ and
# cli/, configured in pyproject.toml); the import contracts (`[tool.importlinter]`: cli/ui above
# core; core and sim independent; core/sim never import ui, cli, PySide6 or pyqtgraph).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check streamdesk tests bench scripts
.venv/bin/mypy
.venv/bin/lint-imports
