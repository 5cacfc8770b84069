"""The operator's CLI, run as a real process against a real SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.sandbox.runner import sandbox_settings
from config import Settings
from core.storage import alembic_config
from tests.support.cli import jxc


def test_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'jxc.db'}"}
    jxc_script = Path(sys.executable).with_name("jxc")
    result = subprocess.run(
        [str(jxc_script), "db", "upgrade"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"schema at {head}" in result.stdout


ITEMS_CSV = (
    "sku,name,unit,price,cost,barcode,category,shelf_life_days,reorder_point,reorder_qty\n"
    "COKE,可乐,瓶,3.5,2,6901,饮料,,10,24\n"
    "MILK,鲜牛奶,盒,6,4,,乳品,10,5,\n"
)
DOCS_CSV = (
    "doc_no,type,posted_at,warehouse,user,partner,sku,qty,price,lot,expiry\n"
    "OLD-1,receipt,2026-11-01T09:00:00,MAIN,wang,供应商甲,COKE,24,2,,\n"
    "OLD-1,receipt,2026-11-01T09:00:00,MAIN,wang,供应商甲,MILK,10,4,M1,2026-11-20\n"
    "OLD-2,sale,2026-11-02T16:00:00,MAIN,wang,,COKE,3,3.5,,\n"
    "OLD-3,sale,2026-11-02T16:30:00,MAIN,wang,,COKE,-2,3.5,,\n"
)


@pytest.fixture
def ledger_db(tmp_path: Path) -> Path:
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    (tmp_path / "items.csv").write_text(ITEMS_CSV, encoding="utf-8")
    (tmp_path / "docs.csv").write_text(DOCS_CSV, encoding="utf-8")
    assert jxc(tmp_path, "import", "items", str(tmp_path / "items.csv")).returncode == 0
    assert jxc(tmp_path, "import", "documents", str(tmp_path / "docs.csv")).returncode == 0
    return tmp_path / "jxc.db"


def test_db_upgrade_creates_main_warehouse_and_is_repeatable(tmp_path: Path) -> None:
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    assert jxc(tmp_path, "db", "upgrade").returncode == 0
    listed = jxc(tmp_path, "warehouses", "list")
    assert listed.stdout.startswith("MAIN\t总店")


def test_warehouses_and_users_are_managed_from_the_cli(tmp_path: Path) -> None:
    jxc(tmp_path, "db", "upgrade")
    assert jxc(tmp_path, "warehouses", "add", "B1", "--name", "二号店").returncode == 0
    configured = jxc(
        tmp_path, "warehouses", "set", "B1", "--group-chat", "chat1", "--webhook-key", "k"
    )
    assert configured.returncode == 0
    assert (
        "B1\t二号店\tgroup=chat1 purchasing=-\twebhook=set"
        in jxc(tmp_path, "warehouses", "list").stdout
    )
    added = jxc(
        tmp_path, "users", "add", "li", "--name", "李姐", "--role", "manager", "--warehouse", "B1"
    )
    assert added.returncode == 0
    assert "li\t李姐\tmanager\tB1" in jxc(tmp_path, "users", "list").stdout
    unknown = jxc(
        tmp_path, "users", "add", "x", "--name", "X", "--role", "clerk", "--warehouse", "NOPE"
    )
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr


def test_imported_history_shows_in_stock_with_batches(ledger_db: Path) -> None:
    result = jxc(ledger_db.parent, "stock", "可乐")
    assert result.stdout.splitlines()[0] == "COKE\t可乐\t23 瓶"
    milk = jxc(ledger_db.parent, "stock", "MILK").stdout
    assert "lot M1\texpiry 2026-11-20\t10" in milk


def test_bad_item_file_names_lines_and_imports_nothing(tmp_path: Path) -> None:
    jxc(tmp_path, "db", "upgrade")
    (tmp_path / "bad.csv").write_text(
        "sku,name,price\nA,苹果,1\nB,,2\nC,橙子,abc\n", encoding="utf-8"
    )
    result = jxc(tmp_path, "import", "items", str(tmp_path / "bad.csv"))
    assert result.returncode == 1
    assert "第 3 行" in result.stderr and "第 4 行 price" in result.stderr
    assert jxc(tmp_path, "stock", "A").returncode == 1


def test_audit_verify_passes_on_a_good_ledger(ledger_db: Path) -> None:
    result = jxc(ledger_db.parent, "audit", "verify")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE stock_moves SET qty = qty + 10000 WHERE id = 2", "stock_balances id="),
        ("UPDATE stock_balances SET qty = qty - 10000 WHERE id = 1", "stock_balances id=1"),
        ("UPDATE audit_log SET actor = 'mallory' WHERE id = 3", "audit_log id=3"),
        ("DELETE FROM audit_log WHERE id = 2", "audit_log id=3"),
    ],
)
def test_audit_verify_names_the_first_row_edited_behind_the_ledgers_back(
    ledger_db: Path, statement: str, named: str
) -> None:
    with sqlite3.connect(ledger_db) as connection:
        connection.execute(statement)
    result = jxc(ledger_db.parent, "audit", "verify")
    assert result.returncode == 1
    assert named in result.stderr


def test_alerts_run_delivers_one_rule_through_the_outbox_once(ledger_db: Path) -> None:
    folder = ledger_db.parent
    jxc(folder, "warehouses", "set", "MAIN", "--purchasing-chat", "buyers")
    with sqlite3.connect(ledger_db) as connection:
        connection.execute("UPDATE items SET reorder_point = 300000 WHERE sku = 'COKE'")
    first = jxc(folder, "alerts", "run", "low-stock", "--now", "2026-11-27T10:00")
    again = jxc(folder, "alerts", "run", "low-stock", "--now", "2026-11-27T10:30")
    assert first.returncode == 0 and "alerted 1" in first.stdout
    assert "alerted 0" in again.stdout
    with sqlite3.connect(ledger_db) as connection:
        rows = connection.execute(
            "SELECT channel, target, json_extract(payload, '$.msgtype') FROM outbox"
        ).fetchall()
    # The alert and its full list (an XLSX file message); no staff bound, so no card.
    assert rows == [("appchat", "buyers", "markdown"), ("appchat", "buyers", "file")]


def test_archived_documents_are_found_by_number_and_listed_with_archive(ledger_db: Path) -> None:
    folder = ledger_db.parent
    assert jxc(folder, "archive", "--before", "2026-11-02").returncode == 0

    live_only = jxc(folder, "document", "OLD-1")
    assert live_only.returncode == 1 and "没有编号为 OLD-1 的单据" in live_only.stderr
    found = jxc(folder, "document", "OLD-1", "--archive")
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0] == "OLD-1\treceipt\tposted\tarchived"
    assert "partner\t供应商甲" in lines
    assert "  COKE\t可乐\t24 瓶\tprice 2\tlot -\texpiry -" in lines
    assert lines[-1] == "total\t88.00"
    assert jxc(folder, "document", "OLD-2", "--archive").stdout.startswith("OLD-2\tsale\tposted\n")

    day = ["documents", "--date", "2026-11-01"]
    assert [row.split("\t")[0] for row in jxc(folder, *day).stdout.splitlines()] == ["QC-20261102"]
    assert jxc(folder, *day, "--archive").stdout.splitlines() == [
        "QC-20261102\tadjustment\tposted\t2026-11-01 23:59\tMAIN\t0.00\t-",
        "OLD-1\treceipt\tposted\t2026-11-01 09:00\tMAIN\t88.00\t供应商甲\tarchived",
    ]
    everything = jxc(folder, "documents", "--archive").stdout.splitlines()
    assert [row.split("\t")[0] for row in everything] == ["OLD-3", "OLD-2", "QC-20261102", "OLD-1"]


def test_archive_url_setting_is_where_archive_writes_and_document_reads(ledger_db: Path) -> None:
    folder = ledger_db.parent
    setting = {"JXC_ARCHIVE_URL": f"sqlite+aiosqlite:///{folder / 'history.db'}"}
    assert jxc(folder, "archive", "--before", "2026-11-02", env=setting).returncode == 0
    assert (folder / "history.db").is_file() and not (folder / "data" / "archive.db").exists()
    assert jxc(folder, "document", "OLD-1", "--archive", env=setting).returncode == 0
    assert jxc(folder, "document", "OLD-1", "--archive").returncode == 1


def test_archive_refuses_the_live_database_as_its_archive(ledger_db: Path) -> None:
    live = f"sqlite+aiosqlite:///{ledger_db}"
    result = jxc(ledger_db.parent, "archive", "--before", "2026-11-02", "--archive-url", live)
    assert result.returncode == 1 and "live" in result.stderr


def files_under(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    "command",
    [
        ["stock", "可乐"],
        ["audit", "verify"],
        ["users", "list"],
        ["warehouses", "list"],
        ["documents"],
        ["document", "XS-20261126-0001"],
        ["alerts", "run", "low-stock"],
        ["archive", "--before", "2026-11-01"],
    ],
)
def test_a_command_on_a_database_without_the_schema_says_so_in_one_line_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    before = files_under(tmp_path)
    result = jxc(tmp_path, *command, env={"JXC_DATABASE_URL": None})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"jxc: the database {tmp_path / 'data' / 'jxc.db'} is not initialised (no such file); "
        "run: jxc db upgrade\n"
    )
    assert files_under(tmp_path) == before


def test_an_empty_database_file_is_reported_and_left_as_it_is(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = jxc(
        tmp_path, "stock", "可乐", env={"JXC_DATABASE_URL": f"sqlite+aiosqlite:///{empty}"}
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"jxc: the database {empty} is not initialised (no schema); run: jxc db upgrade"
    ]
    assert empty.stat().st_size == 0 and files_under(tmp_path) == [Path("empty.db")]


def test_data_dir_option_or_variable_points_every_command_at_one_ledger(tmp_path: Path) -> None:
    """``jxc --data-dir D …`` works on the ledger the sandbox keeps in D (``D/jxc.db``)."""
    shop = tmp_path / "shop"
    unset = {"JXC_DATABASE_URL": None, "JXC_DATA_DIR": None}
    missing = jxc(tmp_path, "--data-dir", str(shop), "audit", "verify", env=unset)
    assert missing.returncode == 2
    assert missing.stderr.endswith(f"run: jxc --data-dir {shop} db upgrade\n")
    assert not shop.exists()

    assert jxc(tmp_path, "--data-dir", str(shop), "db", "upgrade", env=unset).returncode == 0
    assert (shop / "jxc.db").is_file()
    added = jxc(
        tmp_path, "warehouses", "add", "B1", "--name", "二号店", "--data-dir", str(shop), env=unset
    )
    assert added.returncode == 0, added.stderr
    by_variable = jxc(tmp_path, "warehouses", "list", env={**unset, "JXC_DATA_DIR": str(shop)})
    assert "B1\t二号店" in by_variable.stdout
    assert jxc(tmp_path, "--data-dir", str(shop), "audit", "verify", env=unset).returncode == 0


def test_sandbox_and_cli_share_the_database_of_a_data_dir(tmp_path: Path) -> None:
    settings = sandbox_settings(Settings(), data_dir=tmp_path / "shop")
    cli = Settings().in_data_dir((tmp_path / "shop").resolve())
    assert settings.database_url == cli.database_url
    assert settings.database_url.endswith("/shop/jxc.db")


def test_warehouse_order_rules_are_set_from_the_cli(tmp_path: Path) -> None:
    jxc(tmp_path, "db", "upgrade")
    done = jxc(
        tmp_path, "warehouses", "set", "MAIN", "--scan-required", "no",
        "--over-receipt-tolerance", "0.05",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "jxc.db") as db:
        rules = db.execute("select scan_required, over_receipt_tolerance from order_policies")
        assert rules.fetchall() == [(0, 500)]
    bad = jxc(tmp_path, "warehouses", "set", "MAIN", "--over-receipt-tolerance", "lots")
    assert bad.returncode == 1 and "not a number" in bad.stderr
