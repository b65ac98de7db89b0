"""The README's Configuration table and `Settings` name the same variables with the same
defaults."""

from __future__ import annotations

import re
from pathlib import Path

from omnistock.settings import Settings

README = Path(__file__).parents[2] / "README.md"
ROW = re.compile(r"^\| `(OMNISTOCK_[A-Z_]+)` \| ([^|]+) \| ([^|]+) \|$")


def documented() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return {m[1]: m[2].strip() for line in section.splitlines() if (m := ROW.match(line))}


def shown(default: object) -> str:
    if default is None:
        return "(unset)"
    if default == "":
        return "(empty)"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def test_the_readme_table_lists_every_setting_with_its_default():
    expected = {f"OMNISTOCK_{name.upper()}": shown(field.default)
                for name, field in Settings.model_fields.items()}
    assert documented() == expected


def test_every_setting_says_what_it_is_for():
    assert all(field.description for field in Settings.model_fields.values())
