"""The README's configuration table lists every setting of hub/config.py, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from hub.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_variables(text: str) -> set[str]:
    """The HUB_* names in the first cell of each row of the table under '## Configuration'."""
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`(HUB_[A-Z0-9_]+)`", first_cell))
    return names


def test_every_setting_has_a_readme_row_and_every_row_a_setting() -> None:
    documented = readme_variables(README.read_text(encoding="utf-8"))
    settings = {f"HUB_{name.upper()}" for name in Settings.model_fields}
    assert sorted(settings - documented) == [], "settings without a row in the README's configuration table"
    assert sorted(documented - settings) == [], "README rows for settings that hub/config.py does not have"


def test_the_parser_reads_rows_with_several_variables() -> None:
    text = "intro\n## Configuration\n| variable | default |\n| --- | --- |\n| `HUB_HOST`, `HUB_PORT` | x |\n## Next\n"
    assert readme_variables(text) == {"HUB_HOST", "HUB_PORT"}
