// The sandbox chat page: plain JS, no build step. Server-sent events bring every chat line;
// what the page sends goes to /sandbox/*, which forwards it to the bot as WeCom would.
"use strict";

const QUICK = ["帮助", "查 可乐", "销售 可乐 2", "调价 可乐 3.8", "待审批", "单据"];
const BOT_VIEW = "bot";
const state = {
  config: null,
  me: null,
  view: BOT_VIEW,
  chats: new Map(), // chat id -> chat events, oldest first
  cards: new Map(), // chat id + "|" + task id -> the card's event
  unread: new Map(), // chat id -> count
};

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function start() {
  state.config = await (await fetch("/sandbox/config")).json();
  state.me = state.config.staff[0].userid;
  renderPeople();
  renderChatList();
  renderRules();
  renderChips();
  renderMenu();
  $("composer").addEventListener("submit", onSend);
  $("scanner-form").addEventListener("submit", onScanTyped);
  $("scanner-close").addEventListener("click", closeScanner);
  $("text").addEventListener("keydown", onComposerKey);
  $("text").addEventListener("input", fitComposer);
  showChat();
  connect();
}

function connect() {
  const source = new EventSource("/sandbox/events");
  source.onopen = () => setStatus(true);
  source.onerror = () => setStatus(false);
  source.addEventListener("reset", resetChats);
  source.onmessage = (message) => receive(JSON.parse(message.data));
}

function setStatus(live) {
  const status = $("status");
  status.textContent = live ? "实时连接" : "重新连接中…";
  status.classList.toggle("live", live);
}

function resetChats() {
  state.chats.clear();
  state.cards.clear();
  state.unread.clear();
  showChat();
}

// -- incoming chat events ---------------------------------------------------------------

function receive(event) {
  if (event.kind === "card_update") return updateCard(event);
  if (!state.chats.has(event.chat)) state.chats.set(event.chat, []);
  state.chats.get(event.chat).push(event);
  if (event.kind === "card") state.cards.set(`${event.chat}|${event.body.task_id}`, event);
  if (event.chat === currentChat()) {
    appendMessage(event);
  } else if (event.sender === "bot") {
    state.unread.set(event.chat, (state.unread.get(event.chat) || 0) + 1);
    renderBadges();
  }
}

function updateCard(event) {
  const card = state.cards.get(`${event.chat}|${event.body.task_id}`);
  if (!card) return;
  if (event.body.card) card.body = event.body.card;
  else card.outcome = event.body.replace_name;
  if (event.chat !== currentChat()) return;
  const node = $("messages").querySelector(`[data-card="${CSS.escape(event.body.task_id)}"]`);
  if (node) node.replaceWith(renderCard(card));
}

// -- choosing who and where ---------------------------------------------------------------

function currentChat() {
  return state.view === BOT_VIEW ? `user:${state.me}` : state.view;
}

function person(userid) {
  return state.config.staff.find((p) => p.userid === userid);
}

function renderPeople() {
  const people = $("people");
  people.replaceChildren(el("span", "people-label", "我是"));
  for (const p of state.config.staff) {
    const button = el("button", "person");
    button.type = "button";
    button.dataset.user = p.userid;
    button.append(el("span", "person-name", p.name), el("span", "person-role", p.role));
    button.append(el("span", "badge"));
    button.addEventListener("click", () => {
      state.me = p.userid;
      state.view = BOT_VIEW;
      showChat();
    });
    people.append(button);
  }
}

function renderChatList() {
  const chats = $("chats");
  const entries = [{ view: BOT_VIEW, name: state.config.bot, about: "和机器人单聊" }];
  for (const g of state.config.groups) entries.push({ view: g.chat, name: g.name, about: g.about });
  chats.replaceChildren();
  for (const entry of entries) {
    const button = el("button", "chat-link");
    button.type = "button";
    button.dataset.view = entry.view;
    button.append(el("span", "chat-icon", entry.view === BOT_VIEW ? "J" : "群"));
    const text = el("span", "chat-text");
    text.append(el("span", "chat-name", entry.name), el("span", "chat-about", entry.about));
    button.append(text, el("span", "badge"));
    button.addEventListener("click", () => {
      state.view = entry.view;
      showChat();
    });
    chats.append(button);
  }
}

function renderBadges() {
  for (const button of document.querySelectorAll("[data-user]")) {
    const open = button.dataset.user === state.me;
    button.classList.toggle("active", open);
    const shown = open && state.view === BOT_VIEW;
    setBadge(button, shown ? 0 : state.unread.get(`user:${button.dataset.user}`));
  }
  for (const button of document.querySelectorAll("[data-view]")) {
    const view = button.dataset.view;
    button.classList.toggle("active", view === state.view);
    const chat = view === BOT_VIEW ? `user:${state.me}` : view;
    setBadge(button, chat === currentChat() ? 0 : state.unread.get(chat));
  }
}

function setBadge(button, count) {
  const badge = button.querySelector(".badge");
  badge.textContent = count ? String(count) : "";
  badge.hidden = !count;
}

function showChat() {
  const chat = currentChat();
  state.unread.delete(chat);
  const group = state.config.groups.find((g) => g.chat === state.view);
  const me = person(state.me);
  $("chat-title").textContent = group ? group.name : state.config.bot;
  $("chat-sub").textContent = group ? group.about : `你是 ${me.name}（${me.role}）`;
  $("user-foot").hidden = Boolean(group);
  $("group-foot").hidden = !group;
  const messages = $("messages");
  messages.replaceChildren();
  const events = state.chats.get(chat) || [];
  if (!events.length) messages.append(emptyNote(Boolean(group)));
  for (const event of events) appendMessage(event);
  renderBadges();
}

function emptyNote(group) {
  const text = group
    ? "还没有提醒。点下面的按钮，立即运行一条提醒规则。"
    : "还没有消息。发送“帮助”，看看你能用哪些命令。";
  return el("div", "empty", text);
}

// -- drawing messages -------------------------------------------------------------------------

function appendMessage(event) {
  const messages = $("messages");
  messages.querySelector(".empty")?.remove();
  messages.append(renderMessage(event));
  messages.scrollTop = messages.scrollHeight;
}

function renderMessage(event) {
  const mine = event.sender === "me";
  const speaker = mine ? person(event.chat.slice("user:".length)).name : state.config.bot;
  const row = el("div", `msg ${mine ? "me" : "bot"}`);
  row.append(el("div", "avatar", mine ? speaker.slice(0, 1) : "J"));
  const stack = el("div", "stack");
  stack.append(el("div", "meta", `${speaker} · ${clock(event.time)}`));
  stack.append(renderBody(event));
  row.append(stack);
  return row;
}

function renderBody(event) {
  if (event.kind === "card") return renderCard(event);
  if (event.kind === "click") return el("div", "bubble click", `点击了「${event.body.text}」`);
  if (event.kind === "scan") {
    return el("div", "bubble click scan", `「${event.body.text}」扫到 ${event.body.code}`);
  }
  if (event.kind === "image") {
    const bubble = el("div", "bubble media");
    const img = el("img", "chart");
    img.src = event.body.url;
    img.alt = event.body.name;
    bubble.append(img);
    return bubble;
  }
  if (event.kind === "file") {
    const bubble = el("div", "bubble file");
    const link = el("a", "download", `文件：${event.body.name}`);
    link.href = event.body.url;
    link.download = event.body.name;
    bubble.append(link);
    return bubble;
  }
  if (event.kind === "markdown") {
    const bubble = el("div", "bubble md");
    bubble.innerHTML = markdown(event.body.content || "");
    return bubble;
  }
  return el("div", "bubble", event.body.content || "");
}

function renderCard(event) {
  const c = event.body;
  const card = el("div", "card");
  card.dataset.card = c.task_id;
  card.append(el("div", "card-title", c.title));
  if (c.description) card.append(el("div", "card-desc", c.description));
  if (c.rows.length) {
    const rows = el("dl", "card-rows");
    for (const [name, value] of c.rows) rows.append(el("dt", "", name), el("dd", "", value));
    card.append(rows);
  }
  if (c.note) card.append(el("div", "card-note", c.note));
  if (event.outcome) {
    card.append(el("div", "card-outcome", event.outcome));
    return card;
  }
  const buttons = el("div", "card-buttons");
  for (const b of c.buttons) {
    const button = el("button", `card-button style-${b.style}`, b.text);
    button.type = "button";
    button.addEventListener("click", () => clickCard(c.task_id, b.key, buttons));
    buttons.append(button);
  }
  card.append(buttons);
  return card;
}

function clock(iso) {
  const options = { hour: "2-digit", minute: "2-digit", timeZone: state.config.timezone };
  return new Date(iso).toLocaleTimeString("zh-CN", options);
}

function escapeHtml(text) {
  const map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return text.replace(/[&<>"']/g, (ch) => map[ch]);
}

// WeCom's markdown subset: headings, bold, quotes, list lines, links, inline code and
// <font color="info|comment|warning">. The text is escaped first, so only these become tags.
function markdown(source) {
  return source
    .split("\n")
    .map((line) => {
      const html = inline(escapeHtml(line));
      if (/^#{1,6}\s/.test(line)) return `<div class="md-h">${html.replace(/^#+\s*/, "")}</div>`;
      if (/^&gt;\s?/.test(html)) return `<div class="md-quote">${html.replace(/^&gt;\s?/, "")}</div>`;
      if (/^[-*]\s/.test(line)) return `<div class="md-li">${html.replace(/^[-*]\s/, "")}</div>`;
      return line.trim() ? `<div>${html}</div>` : '<div class="md-gap"></div>';
    })
    .join("");
}

function inline(html) {
  return html
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
    .replace(
      /&lt;font color=&quot;(info|comment|warning)&quot;&gt;(.*?)&lt;\/font&gt;/g,
      '<span class="md-$1">$2</span>',
    );
}

// -- sending ------------------------------------------------------------------------------------

function renderChips() {
  const chips = $("chips");
  for (const text of QUICK) {
    const chip = el("button", "chip", text);
    chip.type = "button";
    chip.addEventListener("click", () => {
      $("text").value = text;
      fitComposer();
      $("text").focus();
    });
    chips.append(chip);
  }
}

// Enter sends, as in WeCom; Shift+Enter starts a new line of a multi-line order. An Enter
// that confirms an input method's candidate (typing Chinese) is neither.
function onComposerKey(event) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  $("composer").requestSubmit();
}

function fitComposer() {
  const input = $("text");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

async function onSend(submit) {
  submit.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  fitComposer();
  const answer = await post("/sandbox/say", { userid: state.me, text });
  if (!answer) {
    input.value = text;
    fitComposer();
  }
}

async function clickCard(taskId, key, buttons) {
  const all = [...buttons.querySelectorAll("button")];
  all.forEach((b) => (b.disabled = true));
  const answer = await post("/sandbox/click", { userid: state.me, task_id: taskId, key });
  // The card is redrawn when the bot updates it; until then a second click is held back.
  setTimeout(() => all.forEach((b) => (b.disabled = false)), answer ? 3000 : 0);
}

// -- the app's menu (as the bot pushed it with menu/create) and the camera -----------------

const scanning = { key: null };

function renderMenu() {
  const bar = $("app-menu");
  const menu = state.config.menu;
  bar.hidden = !menu;
  if (!menu) return;
  for (const button of menu.button) {
    const entry = el("div", "menu-entry");
    const top = el("button", "menu-button", button.name);
    top.type = "button";
    entry.append(top);
    if (button.sub_button) {
      const list = el("div", "menu-sub");
      list.hidden = true;
      for (const sub of button.sub_button) {
        const item = el("button", "menu-sub-button", sub.name);
        item.type = "button";
        item.dataset.key = sub.key;
        item.addEventListener("click", () => {
          list.hidden = true;
          menuAction(sub);
        });
        list.append(item);
      }
      top.addEventListener("click", () => (list.hidden = !list.hidden));
      entry.append(list);
    } else {
      top.dataset.key = button.key;
      top.addEventListener("click", () => menuAction(button));
    }
    bar.append(entry);
  }
}

function menuAction(button) {
  if (button.type === "click") return post("/sandbox/menu", { userid: state.me, key: button.key });
  if (button.type.startsWith("scancode")) return openScanner(button);
}

function openScanner(button) {
  scanning.key = button.key;
  $("scanner-title").textContent = button.name;
  const codes = $("scanner-codes");
  codes.replaceChildren();
  for (const c of state.config.scan_codes) {
    const pick = el("button", "scan-code");
    pick.type = "button";
    pick.dataset.code = c.code;
    pick.append(el("span", "scan-code-label", c.label), el("span", "scan-code-digits", c.code));
    pick.addEventListener("click", () => sendScan(c.code));
    codes.append(pick);
  }
  $("scanner").hidden = false;
}

function closeScanner() {
  $("scanner").hidden = true;
  scanning.key = null;
}

function onScanTyped(submit) {
  submit.preventDefault();
  const code = $("scanner-code").value.trim();
  if (code) sendScan(code);
  $("scanner-code").value = "";
}

async function sendScan(code) {
  const key = scanning.key;
  closeScanner();
  await post("/sandbox/scan", { userid: state.me, key, code });
}

function renderRules() {
  const rules = $("rules");
  for (const rule of state.config.rules) {
    const button = el("button", "rule", rule.label);
    button.type = "button";
    button.dataset.rule = rule.name;
    button.addEventListener("click", () => runRule(rule, button));
    rules.append(button);
  }
}

async function runRule(rule, button) {
  button.disabled = true;
  const report = await post(`/sandbox/rules/${encodeURIComponent(rule.name)}`, {});
  button.disabled = false;
  if (!report) return;
  toast(
    report.messages
      ? `${rule.label}：发现 ${report.found} 项，发出 ${report.messages} 条消息`
      : `${rule.label}：没有新的提醒（同一件事只提醒一次）`,
  );
}

async function post(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.ok) return await response.json();
    toast(`没发出去（${response.status} ${await response.text()}）`);
  } catch (error) {
    toast("连不上沙盒服务，它还在运行吗？");
  }
  return null;
}

let toastTimer = null;
function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 4000);
}

start();
