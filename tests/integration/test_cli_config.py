"""Settings an operator got wrong: one line on stderr naming what and where, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import jxc


def test_a_config_path_that_does_not_exist_is_named_instead_of_silently_ignored(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "jxc.tmol"
    result = jxc(tmp_path, "serve", env={"JXC_CONFIG": str(missing)})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"jxc: JXC_CONFIG: no such file: {missing}"]


def test_a_config_file_that_is_not_toml_says_where_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text('wecom_corp_id = "ww01"\nwecom_secret = \n', encoding="utf-8")
    result = jxc(tmp_path, "stock", "可乐", env={"JXC_CONFIG": str(config)})

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"jxc: JXC_CONFIG {config} is not valid TOML: ") and "line 2" in line


def test_a_setting_of_the_wrong_kind_is_named_without_its_value_and_exits_2(
    tmp_path: Path,
) -> None:
    env = {"JXC_HTTP_PORT": "80a", "JXC_NEGATIVE_STOCK_POLICY": "sometimes"}
    result = jxc(tmp_path, "db", "upgrade", env=env)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("jxc: settings: JXC_HTTP_PORT: ")
    assert "JXC_NEGATIVE_STOCK_POLICY: " in line
    assert "80a" not in line and "sometimes" not in line
    assert not (tmp_path / "jxc.db").exists()


def test_a_bad_value_in_the_config_file_is_named_as_the_variable_it_sets(tmp_path: Path) -> None:
    config = tmp_path / "jxc.toml"
    config.write_text('approval_value_threshold = "lots"\n', encoding="utf-8")
    result = jxc(tmp_path, "audit", "verify", env={"JXC_CONFIG": str(config)})

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("jxc: settings: JXC_APPROVAL_VALUE_THRESHOLD: ")


def test_output_piped_into_head_ends_quietly_without_a_traceback(tmp_path: Path) -> None:
    """``jxc users list | head -1``: the reader leaving early is not the command failing."""
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    for n in range(3):
        added = jxc(tmp_path, "users", "add", f"u{n}", "--name", f"店员{n}", "--role", "clerk")
        assert added.returncode == 0, added.stderr
    jxc_path = Path(sys.executable).with_name("jxc")
    env = {
        **os.environ,
        "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'jxc.db'}",
        "JXC_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("JXC_CONFIG", None)
    piped = subprocess.run(
        ["bash", "-c", f"'{jxc_path}' users list | head -1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.stdout.startswith("u0\t店员0\tclerk")
    assert "Traceback" not in piped.stderr and "BrokenPipeError" not in piped.stderr
