"""Transcripts of the money side by chat: a wholesaler's day (orders at customer prices, an
override approved, a payment, 应收, 对账单, 毛利), partners, bad input, a no-inventory trader.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import catalog, money
from core.storage import Item, UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run, seed_shop
from tests.support.money import import_partners_and_prices

CONTRACTS_CSV = (
    "contract_no,partner,start,end,amount,terms\n"
    "HT-2026-001,张三,2026-11-01,2027-10-31,5000,月结30天\n"
)


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    (tmp_path / "contracts.csv").write_text(CONTRACTS_CSV, encoding="utf-8")
    await run(uow, lambda u: money.import_contracts(u, tmp_path / "contracts.csv", "cli"))
    chat = chat_factory(uow)
    await chat.say("mgr1", "入库 可乐 200 单价 2.2 供应商 可口可乐, 雪碧 50 单价 2.1")
    return chat


async def test_a_wholesalers_day_by_chat(chat: Chat) -> None:
    order = await chat.say("clerk1", "销售 客户张三: 可乐 10, 雪碧 5")
    assert "可乐 10 瓶 × ¥3.00 = ¥30.00" in order and "雪碧 5 瓶 × ¥3.20 = ¥16.00" in order
    assert "张三 现应收 ¥46.00" in order
    bulk = await chat.say("clerk1", "销售 客户张三: 可乐 100")
    assert "可乐 100 瓶 × ¥2.80 = ¥280.00" in bulk and "张三 现应收 ¥326.00" in bulk
    cheap = await chat.say("clerk1", "销售 客户张三: 可乐 5 @2.5")
    assert "需审批后过账" in cheap and "低于价目 批发 ¥3.00" in cheap
    assert "可乐 单价（价目 批发 ¥3.00，成本 ¥2.00）：¥3.00 → ¥2.50" in cheap
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    paid = await chat.say("clerk1", "收款 张三 100 微信")
    assert "已登记收款 SK-20261126-0001：张三 ¥100.00（微信）" in paid
    assert "冲销 XS-20261126-0001 ¥46.00" in paid and "冲销 XS-20261126-0002 ¥54.00" in paid
    assert "张三 现应收 ¥238.50" in paid  # 46 + 280 + 12.50 − 100
    owed = await chat.say("clerk1", "应收")
    assert owed.splitlines()[0].startswith("应收合计 ¥238.50（0–30天 ¥238.50")
    assert "张三：¥238.50" in owed
    statement = await chat.say("clerk1", "对账单 张三 本月")
    assert "期初余额 ¥0.00" in statement and "期末余额 ¥238.50" in statement
    assert "SK-20261126-0001 收款 ¥-100.00　余额 ¥238.50" in statement
    card = await chat.say("clerk1", "客户 张三")
    assert "联系人：张三　电话：13800000001" in card and "应收：¥238.50" in card
    assert "信用额度：¥1,000.00" in card and "价目：批发" in card
    by_customer = await chat.say("mgr1", "毛利 本月 按 客户")
    # 338.50 revenue; cost 115 × 2.20 + 5 × 2.10 = 263.50
    assert "张三：销售额 ¥338.50，成本 ¥263.50，毛利 ¥75.00" in by_customer
    assert "看不懂" not in await chat.say("mgr1", "毛利 本月 按 商品")
    assert "“毛利”只有店长、管理员、审计可以使用" in await chat.say("clerk1", "毛利 本月")
    # An order at the customer's prices, shipped the same day (a manager may ship unscanned).
    ordered = await chat.say("clerk1", "订单 客户张三: 可乐 20, 雪碧 2")
    assert "可乐 20 瓶 × ¥3.00" in ordered and "雪碧 2 瓶 × ¥3.20" in ordered
    assert "合计 ¥66.40" in ordered
    shipped = await chat.say("mgr1", "发货 DD-20261126-0001 全部")
    assert "已发货：销售单 XS-20261126-0004（DD-20261126-0001）" in shipped
    assert "可乐 20 瓶 × ¥3.00 = ¥60.00" in shipped and "张三 现应收 ¥304.90" in shipped
    assert "张三：¥304.90" in await chat.say("clerk1", "应收")  # 238.50 + 66.40


async def test_manager_adds_a_customer_by_chat_and_clerks_may_not(chat: Chat) -> None:
    added = await chat.say("mgr1", "新客户 王五 电话 13900000000 额度 500 账期 15 价目 批发")
    assert "已登记客户 王五（编码 C0003）" in added
    assert "信用额度：¥500.00　账期：15 天　价目：批发" in added
    assert "只有店长、管理员可以使用" in await chat.say("clerk1", "新客户 赵六")
    # Not to be read as the success above: it exists, nothing of the new line was saved.
    again = await chat.say("mgr1", "新客户 王五 电话 1")
    assert "客户“王五”已存在（编码 C0003），未做任何更改" in again and "客户 王五" in again
    assert "信用额度“很多”不是有效的数字" in await chat.say("mgr1", "新客户 钱七 额度 很多")
    sold = await chat.say("clerk1", "销售 客户王五: 可乐 10")
    assert "× ¥3.00" in sold and "王五 现应收 ¥30.00" in sold


async def test_payment_bad_input_gets_a_clear_reply_and_changes_nothing(chat: Chat) -> None:
    await chat.say("clerk1", "销售 客户张三: 可乐 10")
    unknown = await chat.say("clerk1", "收款 王八 10 现金")
    assert "没有名为“王八”的客户" in unknown and "新客户 王八" in unknown
    assert "金额必须大于 0" in await chat.say("clerk1", "收款 张三 -5 现金")
    assert "缺少名称或金额" in await chat.say("clerk1", "收款 张三")
    over = await chat.say("clerk1", "收款 张三 50 微信")
    assert "未结金额只有 ¥30.00" in over and "多出 ¥20.00" in over
    assert "收款 张三 50 微信 预收" in over
    assert "张三：¥30.00" in await chat.say("clerk1", "应收")
    kept = await chat.say("clerk1", "收款 张三 50 微信 预收")
    assert "记为预收 ¥20.00" in kept and "张三 现预收 ¥20.00" in kept
    # Paid ahead: the card and the ageing say 预收, not a receivable of ¥-20.
    card = await chat.say("clerk1", "客户 张三")
    ageing = await chat.say("clerk1", "应收")
    assert "预收：¥20.00" in card and "¥-" not in card
    assert "收款 ¥50.00，未抵 ¥20.00" in card
    assert "张三：预收 ¥20.00" in ageing and "¥-" not in ageing
    small = await chat.say("clerk1", "销售 客户张三: 可乐 1")
    assert "张三 现预收 ¥17.00" in small  # paid from the advance, not a debt of ¥-17
    assert "张三：预收 ¥17.00" in await chat.say("clerk1", "应收")
    sold = await chat.say("clerk1", "销售 客户张三: 可乐 10")
    assert "张三 现应收 ¥13.00" in sold  # the advance paid part of it
    assert "只有采购、店长、管理员可以使用" in await chat.say("clerk1", "付款 可口可乐 10 转账")


async def test_the_partner_card_reads_payments_and_credits_without_a_minus(chat: Chat) -> None:
    """A return and a payment are credits: each reads 收款/退货 ¥x and what is left of it 未抵."""
    await chat.say("clerk1", "销售 客户张三: 可乐 10")
    await chat.say("clerk1", "收款 张三 10 微信")
    returned = await chat.say("mgr1", "退货 可乐 10 客户 张三 原单 XS-20261126-0001")
    assert "张三 现预收 ¥10.00" in returned  # 30 sold, 10 paid, 30 back
    card = await chat.say("clerk1", "客户 张三")
    assert "XT-20261126-0001 11-26 10:00 销售退货 ¥30.00，未抵 ¥10.00" in card
    assert "SK-20261126-0001 11-26 10:00 收款 ¥10.00" in card
    assert "XS-20261126-0001 11-26 10:00 销售 ¥30.00" in card and "¥-" not in card
    await chat.say("mgr1", "付款 可口可乐 600 转账 预付")
    supplier = await chat.say("mgr1", "供应商 可口可乐")
    assert "FK-20261126-0001 11-26 10:00 付款 ¥600.00，未抵 ¥55.00" in supplier  # 545 owed


async def test_a_statement_names_its_last_day_and_an_advance_as_such(chat: Chat) -> None:
    await chat.say("clerk1", "销售 客户张三: 可乐 10")
    await chat.say("clerk1", "收款 张三 50 微信 预收")
    month = await chat.say("clerk1", "对账单 张三 本月")
    assert month.startswith("张三 对账单（应收）2026-11-01 至 2026-11-26\n")
    assert "SK-20261126-0001 收款 ¥-50.00　余额 预收 ¥20.00" in month  # 30 sold, 50 paid
    assert "期末余额 预收 ¥20.00" in month and "余额 ¥-" not in month
    typed = await chat.say("clerk1", "对账单 张三 2026-11-01~2026-11-30")
    assert typed.startswith("张三 对账单（应收）2026-11-01 至 2026-11-30\n")
    later = await chat.say("clerk1", "对账单 张三 2026-11-27~2026-11-30")
    assert "期初余额 预收 ¥20.00" in later and "期末余额 预收 ¥20.00" in later


async def test_an_amount_written_as_the_bot_writes_it_is_read(chat: Chat) -> None:
    """The replies say ¥1,000.00: an amount copied from one, thousands separators and all."""
    await chat.say("clerk1", "销售 客户张三: 可乐 100")  # ¥280.00
    paid = await chat.say("clerk1", "收款 张三 ¥1,000.00 微信 预收")
    assert "已登记收款 SK-20261126-0001：张三 ¥1,000.00（微信）" in paid
    assert "张三 现预收 ¥720.00" in paid
    over = await chat.say("mgr1", "付款 可口可乐 1,000 转账")
    assert "可口可乐 未结金额只有 ¥545.00，付款 ¥1,000.00 多出 ¥455.00" in over
    assert "缺少名称或金额" in await chat.say("clerk1", "收款 张三 1,00 微信")


async def test_supplier_is_paid_and_shows_what_is_owed(chat: Chat) -> None:
    paid = await chat.say("mgr1", "付款 可口可乐 500 转账")
    assert "已登记付款 FK-20261126-0001：可口可乐 ¥500.00（转账）" in paid
    assert "可口可乐 现应付 ¥45.00" in paid  # 440 + 105 − 500
    assert "可口可乐：¥45.00" in await chat.say("mgr1", "应付")
    card = await chat.say("mgr1", "供应商 可口可乐")
    assert "应付：¥45.00" in card and "联系人：王经理" in card


async def test_list_price_change_by_chat_goes_through_approval(chat: Chat) -> None:
    asked = await chat.say("clerk1", "调价 可乐 3.2 价目 批发")
    assert "可乐 价目 批发：¥3.00 → ¥3.20" in asked
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    assert "可乐 10 瓶 × ¥3.20" in await chat.say("clerk1", "销售 客户张三: 可乐 10")


async def test_documents_cite_a_contract_and_it_shows_what_is_executed(chat: Chat) -> None:
    await chat.say("clerk1", "销售 客户张三 合同 HT-2026-001: 可乐 100")
    view = await chat.say("clerk1", "合同 HT-2026-001")
    assert "合同金额 ¥5,000.00，已执行 ¥280.00，未执行 ¥4,720.00" in view
    assert "与单据的往来单位不符" in await chat.say(
        "clerk1", "销售 客户李四 合同 HT-2026-001: 可乐 1"
    )
    assert "没有合同 HT-9" in await chat.say("clerk1", "合同 HT-9")


async def test_help_lists_the_money_commands_each_role_may_use(chat: Chat) -> None:
    clerk = await chat.say("clerk1", "帮助")
    assert "收款/collect" in clerk and "应收/receivables" in clerk and "付款/pay" not in clerk
    manager = await chat.say("mgr1", "帮助")
    for word in ("新客户/newcustomer", "付款/pay", "应付/payables", "毛利/margin", "对账单"):
        assert word in manager
    assert "撮合/broker" not in clerk + manager  # every warehouse keeps stock: it is refused


async def test_help_lists_brokered_deals_once_a_warehouse_keeps_no_stock(chat: Chat) -> None:
    assert "撮合/broker" not in await chat.say("clerk1", "帮助")

    async def trading_desk(u: UnitOfWork) -> None:
        await catalog.add_warehouse(u, "boss", "TR", "贸易部")
        await catalog.configure_warehouse(u, "boss", "TR", mode="no_inventory")

    await run(chat.uow, trading_desk)
    assert "撮合/broker" in await chat.say("clerk1", "帮助")


@pytest.fixture
async def trader(chat: Chat) -> Chat:
    async def setup(u: UnitOfWork) -> None:
        await catalog.add_warehouse(u, "boss", "TR", "贸易部")
        await catalog.configure_warehouse(u, "boss", "TR", mode="no_inventory")
        await catalog.save_user(u, "boss", "trader1", "小陈", "clerk", ["TR"])
        u.session.add(
            Item(
                sku="SOY",
                name="大豆",
                unit="吨",
                unit_precision=3,
                price=Decimal(4100),
                cost=Decimal(4000),
            )
        )

    await run(chat.uow, setup)
    return chat


async def test_a_no_inventory_trader_by_chat(trader: Chat) -> None:
    deal = await trader.say("trader1", "撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4100")
    assert "已登记撮合 CH-20261126-0001：大豆 10 吨" in deal
    assert "毛利（佣金）¥1,000.00" in deal
    looked_up = await trader.say("trader1", "查 大豆")
    assert "大豆（SOY）售价 ¥4,100.00" in looked_up and "无库存模式" in looked_up
    refused = await trader.say("trader1", "盘点 大豆 3")
    assert "仓库 TR 是无库存模式" in refused and "不能盘点" in refused
    # ``客户甲`` reads as 客户 + 甲, like ``销售 客户张三: …``
    assert "甲：¥42,000.00" in await trader.say("trader1", "应收")
    in_main = await trader.say("mgr1", "撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4100")
    assert "仓库 MAIN 记库存，撮合只用于无库存模式的仓库" in in_main
    named = await trader.say("boss", "撮合 客户丙 供应商乙: 大豆 1吨 @4200 进价 4100 仓库 TR")
    assert "已登记撮合 CH-20261126-0002" in named
    assert "大豆（SOY）" in await trader.say("boss", "查 大豆 仓库 TR")


async def test_a_deal_bought_dearer_than_it_is_sold_is_refused_and_changes_nothing(
    trader: Chat,
) -> None:
    """Its sale is over the item's cost, so nothing else would stop a loss nobody approved."""
    loss = await trader.say("trader1", "撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4300")
    assert "售价 ¥4,200.00 低于进价 ¥4,300.00，会亏 ¥1,000.00，未做任何更改" in loss
    assert "撮合 客户甲 供应商乙: 大豆 10吨 @4200 进价 4100" in loss
    assert await trader.document_numbers() == ["RK-20261126-0001"]  # the fixture's own
    assert "暂无未结的应收" in await trader.say("trader1", "应收")
