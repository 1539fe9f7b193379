"""Hypothesis keeps its files (the constants it collects from our code, Unicode tables) in the system's temp
folder, not in the checkout: set when this folder is collected, before any example is generated. The fuzz
itself runs with no example database (``database=None``), so nothing from one run steers the next."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "cs-platform-hypothesis")
