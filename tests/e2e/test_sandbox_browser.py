"""The chat page in headless Chromium (Debian's ``chromium``, driven by Playwright): the walkthrough
of the README, from a clerk's price change to the alert in the store group.

Screenshots go to ``test-artifacts/``. ``JXC_DOCS_SCREENSHOT=1`` also writes the README's
``docs/sandbox.png``. Nothing is downloaded: Playwright starts the system's Chromium, which is
kept off the network by its flags; the sandbox it talks to runs on loopback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.sandbox.demo_data import BARCODES, STORE_CHAT
from bot.sandbox.runner import running_sandbox
from tests.support.bot_harness import FAST
from tests.support.sandbox import seeded_copy, settings_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 10_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); CI has it",
)


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return seeded_copy(tmp_path_factory, tmp_path / "data")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    # launch() gives Chromium a fresh temporary profile (--user-data-dir) of its own.
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=WAIT_MS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def say(page: Page, text: str) -> None:
    await page.locator("#text").fill(text)
    await page.locator("#composer button").click()


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path))
    return path


async def test_clerk_asks_manager_approves_on_the_card_and_the_alert_reaches_the_group(
    data_dir: Path, browser: Browser
) -> None:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox:
        page = await browser.new_page(viewport=DESKTOP, locale="zh-CN")
        page.set_default_timeout(WAIT_MS)
        await page.goto(sandbox.url)
        await expect(page.locator("#status")).to_have_text("实时连接")
        messages = page.locator("#messages")

        await say(page, "调价 可乐 3.8")
        await expect(messages).to_contain_text("已发给")

        await page.locator('[data-user="lijie"]').click()
        card = messages.locator(".card", has_text="调价审批")
        await card.get_by_role("button", name="批准").click()
        await expect(card.locator(".card-outcome")).to_have_text("已批准·李姐")
        await expect(messages).to_contain_text("已批准 SP-")
        manager_view = await screenshot(page, "sandbox-desktop-manager.png")

        await page.locator('[data-user="xiaowang"]').click()
        await expect(messages).to_contain_text("已批准（李姐）")
        await say(page, "查 可乐")
        await expect(messages.locator(".msg.bot").last).to_contain_text("售价 ¥3.80")
        await screenshot(page, "sandbox-desktop-clerk.png")

        await page.locator(f'[data-view="group:{STORE_CHAT}"]').click()
        await page.locator('[data-rule="expiry"]').click()
        await expect(messages.locator(".md").first).to_contain_text("临期/过期提醒")
        await screenshot(page, "sandbox-desktop-store-group.png")

        await page.set_viewport_size(PHONE)
        await page.locator('[data-user="lijie"]').click()
        await expect(card.locator(".card-outcome")).to_be_visible()
        await screenshot(page, "sandbox-phone-manager.png")
    if os.environ.get("JXC_DOCS_SCREENSHOT"):
        shutil.copyfile(manager_view, ROOT / "docs" / "sandbox.png")


async def test_shift_enter_adds_a_line_and_enter_sends_a_multi_line_order(
    data_dir: Path, browser: Browser
) -> None:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox:
        page = await browser.new_page(viewport=DESKTOP, locale="zh-CN")
        page.set_default_timeout(WAIT_MS)
        await page.goto(sandbox.url)
        await expect(page.locator("#status")).to_have_text("实时连接")
        messages = page.locator("#messages")
        composer = page.locator("#text")

        await composer.click()
        await page.keyboard.type("销售 可乐 1")
        await page.keyboard.press("Shift+Enter")
        await page.keyboard.type("雪碧 2")
        await expect(composer).to_have_value("销售 可乐 1\n雪碧 2")
        await expect(messages.locator(".msg.me")).to_have_count(0)

        await page.keyboard.press("Enter")
        await expect(composer).to_have_value("")
        reply = messages.locator(".msg.bot").last
        await expect(reply).to_contain_text("已过账 销售单")
        await expect(reply).to_contain_text("可乐 1 瓶")
        await expect(reply).to_contain_text("雪碧 2 瓶")
        await screenshot(page, "sandbox-multi-line-order.png")


async def scan(page: Page, button: str, code: str) -> None:
    """Open 扫码 → ``button`` in the chat's menu and let the camera read ``code``."""
    await page.locator(".menu-button", has_text="扫码").click()
    await page.locator(".menu-sub-button", has_text=button).click()
    await expect(page.locator("#scanner")).to_be_visible()
    await page.locator(f'.scan-code[data-code="{code}"]').click()


async def test_clerk_picks_and_ships_an_order_by_scanning(data_dir: Path, browser: Browser) -> None:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox:
        page = await browser.new_page(viewport=DESKTOP, locale="zh-CN")
        page.set_default_timeout(WAIT_MS)
        await page.goto(sandbox.url)
        await expect(page.locator("#status")).to_have_text("实时连接")
        messages = page.locator("#messages")
        last = messages.locator(".msg.bot").last

        await page.locator(".menu-button", has_text="帮助").click()
        await expect(last).to_contain_text("拣货/pick")

        await say(page, "订单 客户张三: 可乐 2, 雪碧 1")
        await expect(last).to_contain_text("已建销售订单 DD-")
        number = (await last.inner_text()).split("已建销售订单 ")[1].split("（")[0]
        await say(page, f"拣货 {number}")
        await expect(last).to_contain_text("可乐 0/2 · 雪碧 0/1")

        cola, sprite = BARCODES[0][1], BARCODES[2][1]
        water = BARCODES[3][1]  # not on the order
        await scan(page, "扫码拣货", water)
        await expect(last).to_contain_text(f"不在订单 {number} 上")
        await scan(page, "扫码拣货", cola)
        await expect(last).to_contain_text("可乐 1/2 · 雪碧 0/1")
        await scan(page, "扫码拣货", cola)
        await expect(last).to_contain_text("可乐 2/2 · 雪碧 0/1")
        await scan(page, "扫码拣货", sprite)
        await expect(last).to_contain_text("已拣齐")
        await expect(messages.locator(".bubble.scan").last).to_contain_text(sprite)
        await screenshot(page, "sandbox-desktop-picking.png")

        await say(page, f"发货 {number}")
        await expect(last).to_contain_text("已发货：销售单 XS-")
        await expect(last).to_contain_text(f"销售订单 {number}（MAIN）已发货")


async def test_health_check_as_the_manager_shows_summary_charts_and_workbook_link(
    data_dir: Path, browser: Browser
) -> None:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox:
        page = await browser.new_page(viewport=DESKTOP, locale="zh-CN")
        page.set_default_timeout(WAIT_MS * 6)
        await page.goto(sandbox.url)
        await expect(page.locator("#status")).to_have_text("实时连接")
        messages = page.locator("#messages")
        await page.locator('[data-user="lijie"]').click()

        await say(page, "健康检查")
        # The check renders charts and a workbook: slower than a chat reply on a loaded machine.
        await expect(messages.locator(".md").last).to_contain_text(
            "进销存体检", timeout=WAIT_MS * 6
        )
        charts = messages.locator("img.chart")
        await expect(charts).to_have_count(3, timeout=WAIT_MS * 6)
        for index in range(3):
            loaded = await charts.nth(index).evaluate("img => img.complete && img.naturalWidth")
            assert loaded == 960
        link = messages.locator("a.download")
        await expect(link).to_contain_text(".xlsx")
        async with page.expect_download() as download:
            await link.click()
        assert (await download.value).suggested_filename.endswith(".xlsx")
        await charts.last.scroll_into_view_if_needed()
        await screenshot(page, "sandbox-health-check.png")
