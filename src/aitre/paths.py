"""Where the project's folders are: the checkout's `spec/` and `generated/` by default."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# src/aitre -> src -> checkout root. Overridable so the tools can run on a copy of the spec.
PROJECT_ROOT = Path(os.environ.get("AITRE_ROOT", PACKAGE_DIR.parent.parent))
SPEC_ROOT = PROJECT_ROOT / "spec" / "openapi.yaml"
GENERATED_DIR = PROJECT_ROOT / "generated"
# The bundled spec as shipped inside the package (a link to generated/ in a checkout).
BUNDLED_SPEC = PACKAGE_DIR / "generated" / "openapi.json"
