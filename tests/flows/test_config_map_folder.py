"""Flows mounted from a Kubernetes ConfigMap: the folder holds each file twice (the visible
name is a link into a hidden, timestamped copy), and an update swaps the hidden copy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bot.flows.loader import load_flows

ROOT = Path(__file__).resolve().parents[2]


def mount(folder: Path, source: Path, stamp: str) -> None:
    """Lay out ``source``'s flow files the way the kubelet does, or update them in place."""
    folder.mkdir(exist_ok=True)
    version = folder / f"..{stamp}"
    shutil.copytree(source, version)
    link = folder / "..data_tmp"
    link.symlink_to(version.name)
    os.replace(link, folder / "..data")
    for path in sorted(source.glob("*.yaml")):
        visible = folder / path.name
        if not visible.is_symlink():
            visible.symlink_to(Path("..data") / path.name)


def test_flows_from_a_config_map_load_once_each(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    mount(folder, ROOT / "flows", "2026_01_01_00_00_00.1")

    flows, problems = load_flows(folder)

    assert problems == []
    assert flows is not None
    shipped, _ = load_flows(ROOT / "flows")
    assert shipped is not None
    assert sorted(flows.flows) == sorted(shipped.flows)


def test_an_updated_config_map_is_read_from_the_new_copy(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT / "flows", source)
    folder = tmp_path / "flows"
    mount(folder, source, "2026_01_01_00_00_00.1")
    greeting = source / "greeting.yaml"
    greeting.write_text(greeting.read_text().replace("Welcome and the main menu.", "Updated."))
    mount(folder, source, "2026_01_01_00_05_00.2")

    flows, problems = load_flows(folder)

    assert problems == []
    assert flows is not None and flows.flows["greeting"].description == "Updated."
