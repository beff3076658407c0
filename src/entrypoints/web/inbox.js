// The live inbox: GraphQL over HTTP for reads and actions, graphql-transport-ws for live events.
// No framework and no build step; everything the page shows is built with textContent.

const TOKEN_KEY = "herald.token"; // sessionStorage: one sign-in per tab
const PAGE_SIZE = 20;
const PING_EVERY_MS = 20_000;
const RETRY_MAX_MS = 15_000;

const FIELDS = "fragment Fields on Notification { id title message isRead createdAt }";
const FIRST_PAGE = `query FirstPage { getUnreadCount
  notificationFeed(first: ${PAGE_SIZE}) { edges { node { ...Fields } } pageInfo { hasNextPage endCursor } } }
  ${FIELDS}`;
const NEXT_PAGE = `query NextPage($after: String) {
  notificationFeed(first: ${PAGE_SIZE}, after: $after) { edges { node { ...Fields } } pageInfo { hasNextPage endCursor } } }
  ${FIELDS}`;
const EVENTS = `subscription Events($lastEventId: Int) {
  notificationEvents(lastEventId: $lastEventId) { eventId event count action id reason notification { ...Fields } } }
  ${FIELDS}`;
const MARK_AS_READ = `mutation MarkAsRead($id: String!) { markAsRead(id: $id) { ...Fields } } ${FIELDS}`;
const MARK_ALL_AS_READ = "mutation MarkAllAsRead { markAllAsRead }";
const DELETE = "mutation Delete($id: String!) { deleteNotification(id: $id) }";
const CREATE_LEAD = `mutation CreateLead($input: CreateLeadInput!) { createLead(input: $input) { id name } }`;
const PREFERENCES = "query Preferences { notificationPreferences { type enabled email } }";
const SET_PREFERENCE = `mutation SetPreference($type: NotificationType!, $enabled: Boolean!, $email: Boolean) {
  setNotificationPreference(type: $type, enabled: $enabled, email: $email) { type enabled email } }`;
const KINDS = {
  LEAD_CREATED: "New leads", TASK_COMPLETED: "Completed tasks",
  SCORE_UPDATED: "Score changes", COMMENT_ADDED: "New comments",
};

const $ = (id) => document.getElementById(id);
const ui = {
  problem: $("problem"), signIn: $("sign-in"), signInNote: $("sign-in-note"),
  devForm: $("dev-sign-in"), devName: $("dev-name"), devButton: $("dev-sign-in-button"),
  tokenForm: $("token-sign-in"), tokenInput: $("token"),
  account: $("account"), who: $("who"), signOut: $("sign-out"),
  bell: $("bell"), badge: $("unread-badge"), unreadStatus: $("unread-status"),
  workspace: $("workspace"), heading: $("inbox-title"), connection: $("connection"),
  markAllRead: $("mark-all-read"), list: $("notifications"), empty: $("empty"),
  loadMore: $("load-more"), theEnd: $("the-end"), template: $("notification-template"),
  leadForm: $("create-lead"), leadStatus: $("create-lead-status"),
  preferences: $("preferences"), preferencesStatus: $("preferences-status"),
};

class SignedOut extends Error {}

// ---------------------------------------------------------------- state

let token = sessionStorage.getItem(TOKEN_KEY);
let session = 0; // bumped on sign-in, sign-out and refetch: late answers of an older one are dropped
let lastEventId = null;
let ready = false; // false while the first page loads: events wait in `pending`
let pending = [];
let endCursor = null;
let hasNextPage = false;
let loadingPage = false;
const items = new Map(); // notification id -> its <li>
let live = null;

// ---------------------------------------------------------------- GraphQL over HTTP

async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) {
    signOut("The server did not accept your token (it may have expired). Sign in again.");
    throw new SignedOut();
  }
  const body = await response.json().catch(() => ({}));
  if (body.errors?.length) {
    const error = new Error(body.errors[0].message);
    error.code = body.errors[0].extensions?.code;
    throw error;
  }
  if (!response.ok || !body.data) throw new Error(`The server answered ${response.status}`);
  return body.data;
}

// ---------------------------------------------------------------- graphql-transport-ws

class LiveEvents {
  constructor(onEvent, onState, onRefused) {
    Object.assign(this, { onEvent, onState, onRefused });
    this.socket = null;
    this.retries = 0;
    this.nextId = 1;
    this.stopped = false;
  }

  open() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.onState(this.retries ? "reconnecting" : "connecting");
    socket.onopen = () => this.send({ type: "connection_init", payload: { token } });
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = (event) => this.closed(socket, event.code);
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  subscribe() {
    this.subscription = String(this.nextId++);
    const variables = { lastEventId };
    this.send({ id: this.subscription, type: "subscribe", payload: { query: EVENTS, variables } });
    return lastEventId === null; // nothing seen yet: the caller fetches the inbox now
  }

  receive(message) {
    switch (message.type) {
      case "connection_ack":
        this.retries = 0;
        this.startPinging();
        this.onState("live", this.subscribe());
        break;
      case "next":
        if (message.id !== this.subscription) return;
        if (message.payload.errors) console.warn("herald: event errors", message.payload.errors);
        if (message.payload.data) this.onEvent(message.payload.data.notificationEvents);
        break;
      case "error":
        console.warn("herald: the subscription was refused", message.payload);
        this.socket.close(1000);
        break;
      case "complete": // the server ended the stream (this tab fell behind): pick up where it was
        if (message.id === this.subscription) this.onState("live", this.subscribe());
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "pong":
        this.awaitingPong = false;
        break;
    }
  }

  startPinging() {
    clearInterval(this.pinger);
    this.awaitingPong = false;
    this.pinger = setInterval(() => {
      if (this.awaitingPong) return this.socket.close(4408); // no answer: the line is dead
      this.awaitingPong = true;
      this.send({ type: "ping" });
    }, PING_EVERY_MS);
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    clearInterval(this.pinger);
    if (this.stopped) return;
    if (code === 4401) return this.onRefused();
    const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** this.retries) * (0.75 + Math.random() / 2);
    this.retries += 1;
    this.onState("offline", Math.round(delay / 1000));
    this.timer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.socket?.readyState !== WebSocket.CLOSED || this.stopped) return;
    clearTimeout(this.timer);
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    this.socket?.close(1000);
  }
}

// ---------------------------------------------------------------- events

function onEvent(event) {
  if (event.eventId !== null) {
    if (lastEventId !== null && event.eventId <= lastEventId) return; // delivered twice
    lastEventId = event.eventId;
  }
  if (ready) apply(event);
  else pending.push(event);
}

function apply(event) {
  switch (event.event) {
    case "notification:created":
      if (!items.has(event.notification.id)) ui.list.prepend(render(event.notification));
      break;
    case "notification:updated":
      if (items.has(event.notification.id)) show(items.get(event.notification.id), event.notification);
      break;
    case "notification:deleted":
      remove(event.id);
      break;
    case "notifications:bulk-updated":
      for (const item of items.values()) markShownAsRead(item);
      break;
    case "notifications:unread-count":
      showUnread(event.count);
      break;
    case "notifications:resync": // too long away: what was missed is gone, so start over
      refetch();
      break;
  }
  updateEmpty();
}

function onConnection(state, detail) {
  const labels = { connecting: "Connecting…", live: "Live", offline: `Offline, retrying in ${detail}s`,
    reconnecting: "Reconnecting…" };
  ui.connection.dataset.state = state;
  ui.connection.textContent = labels[state];
  if (state === "live" && detail) refetch(); // subscribed with no lastEventId: read the inbox now
}

// ---------------------------------------------------------------- the list

function render(notification) {
  const item = ui.template.content.firstElementChild.cloneNode(true);
  item.dataset.id = notification.id;
  item.querySelector(".title").textContent = notification.title;
  item.querySelector(".message").textContent = notification.message;
  const time = item.querySelector("time");
  time.dateTime = notification.createdAt;
  time.title = new Date(notification.createdAt).toLocaleString();
  time.textContent = ago(notification.createdAt);
  const markRead = item.querySelector(".mark-read");
  markRead.setAttribute("aria-label", `Mark read: ${notification.title}`);
  markRead.addEventListener("click", () => markAsRead(item, markRead));
  const remove = item.querySelector(".delete");
  remove.setAttribute("aria-label", `Delete: ${notification.title}`);
  remove.addEventListener("click", () => deleteNotification(item, remove));
  items.set(notification.id, item);
  show(item, notification);
  return item;
}

function show(item, notification) {
  if (notification.isRead) markShownAsRead(item);
  else {
    item.classList.add("unread");
    item.querySelector(".state").textContent = "Unread";
    item.querySelector(".mark-read").hidden = false;
  }
}

function markShownAsRead(item) {
  item.classList.remove("unread");
  item.querySelector(".state").textContent = "Read";
  const button = item.querySelector(".mark-read");
  if (button === document.activeElement) item.querySelector(".delete").focus();
  button.hidden = true;
}

function remove(id) {
  const item = items.get(id);
  if (!item) return;
  if (item.contains(document.activeElement)) {
    const next = item.nextElementSibling ?? item.previousElementSibling;
    (next?.querySelector(".delete") ?? ui.heading).focus();
  }
  item.remove();
  items.delete(id);
}

function append(edges) {
  for (const { node } of edges) if (!items.has(node.id)) ui.list.append(render(node));
}

function showUnread(count) {
  ui.badge.textContent = count > 99 ? "99+" : String(count);
  ui.badge.hidden = count === 0;
  ui.bell.dataset.count = String(count);
  ui.unreadStatus.textContent = count === 0 ? "No unread notifications"
    : `${count} unread notification${count === 1 ? "" : "s"}`;
  ui.markAllRead.disabled = count === 0;
}

function showPaging(pageInfo) {
  hasNextPage = pageInfo.hasNextPage;
  endCursor = pageInfo.endCursor;
  ui.loadMore.hidden = !hasNextPage;
  updateEmpty();
}

function updateEmpty() {
  ui.empty.hidden = items.size > 0 || hasNextPage;
  ui.theEnd.hidden = items.size === 0 || hasNextPage;
}

function ago(iso) {
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

// ---------------------------------------------------------------- loading

async function refetch() {
  const mine = ++session;
  ready = false;
  try {
    const data = await graphql(FIRST_PAGE);
    if (mine !== session) return;
    items.clear();
    ui.list.replaceChildren();
    append(data.notificationFeed.edges);
    showPaging(data.notificationFeed.pageInfo);
    showUnread(data.getUnreadCount);
    ready = true;
    const waiting = pending;
    pending = [];
    waiting.forEach(apply);
    nearTheEnd();
  } catch (error) {
    if (mine === session) report(error);
  }
}

async function loadNextPage() {
  if (!ready || loadingPage || !hasNextPage) return;
  const mine = session;
  loadingPage = true;
  ui.loadMore.disabled = true;
  ui.loadMore.textContent = "Loading…";
  try {
    const data = await graphql(NEXT_PAGE, { after: endCursor });
    if (mine !== session) return;
    append(data.notificationFeed.edges);
    showPaging(data.notificationFeed.pageInfo);
  } catch (error) {
    if (mine === session) report(error);
  } finally {
    loadingPage = false;
    ui.loadMore.disabled = false;
    ui.loadMore.textContent = "Load older notifications";
  }
  if (mine === session) nearTheEnd();
}

// Infinite scroll: the "load older" button also loads by itself once it comes near the viewport.
const nearby = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadNextPage();
}, { rootMargin: "300px" });
nearby.observe(ui.loadMore);

function nearTheEnd() {
  // The observer fires only on changes: a short page leaves the button in view, so look again.
  requestAnimationFrame(() => {
    if (!ui.loadMore.hidden && ui.loadMore.getBoundingClientRect().top < innerHeight + 300) {
      loadNextPage();
    }
  });
}

// ---------------------------------------------------------------- actions

async function markAsRead(item, button) {
  button.disabled = true;
  ui.problem.hidden = true;
  try {
    const { markAsRead: notification } = await graphql(MARK_AS_READ, { id: item.dataset.id });
    show(item, notification);
  } catch (error) {
    if (error.code === "NOT_FOUND") remove(item.dataset.id);
    else report(error);
  } finally {
    button.disabled = false;
  }
}

async function deleteNotification(item, button) {
  button.disabled = true;
  ui.problem.hidden = true;
  try {
    await graphql(DELETE, { id: item.dataset.id });
    remove(item.dataset.id);
  } catch (error) {
    if (error.code === "NOT_FOUND") remove(item.dataset.id);
    else report(error);
  } finally {
    button.disabled = false;
  }
  updateEmpty();
}

ui.markAllRead.addEventListener("click", async () => {
  ui.markAllRead.disabled = true;
  ui.problem.hidden = true;
  try {
    await graphql(MARK_ALL_AS_READ);
    for (const item of items.values()) markShownAsRead(item);
    showUnread(0);
  } catch (error) {
    report(error);
    ui.markAllRead.disabled = false;
  }
});

ui.leadForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(ui.leadForm);
  const name = form.get("name").trim();
  const company = form.get("company").trim() || null;
  const button = ui.leadForm.querySelector("button");
  button.disabled = true;
  ui.leadStatus.textContent = "";
  ui.problem.hidden = true;
  try {
    const { createLead: lead } = await graphql(CREATE_LEAD, { input: { name, company } });
    ui.leadForm.reset();
    ui.leadStatus.textContent = `Created “${lead.name}”. Your teammates have been told.`;
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- preferences: two switches per kind

async function loadPreferences() {
  const mine = token; // a refetch bumps `session`: only a change of user drops the answer
  const { notificationPreferences } = await graphql(PREFERENCES);
  if (mine !== token) return;
  ui.preferencesStatus.textContent = "";
  ui.preferences.replaceChildren(...notificationPreferences.map(preferenceRow));
}

function preferenceRow(preference) {
  const row = document.createElement("tr");
  const kind = document.createElement("th");
  kind.scope = "row";
  kind.textContent = KINDS[preference.type] ?? preference.type;
  row.append(kind, toggle(preference, "enabled", "in Herald"), toggle(preference, "email", "by email"));
  return row;
}

function toggle(preference, field, how) {
  const cell = document.createElement("td");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = preference[field];
  box.name = `${preference.type}-${field}`;
  box.setAttribute("aria-label", `${KINDS[preference.type] ?? preference.type} ${how}`);
  box.addEventListener("change", () => savePreference(preference, field, box));
  cell.append(box);
  return cell;
}

async function savePreference(preference, field, box) {
  box.disabled = true;
  ui.preferencesStatus.textContent = "";
  const wanted = { ...preference, [field]: box.checked };
  try {
    const { setNotificationPreference: saved } = await graphql(SET_PREFERENCE, wanted);
    Object.assign(preference, saved);
    ui.preferencesStatus.textContent = "Saved.";
  } catch (error) {
    box.checked = preference[field];
    report(error);
  } finally {
    box.disabled = false;
  }
}

// ---------------------------------------------------------------- signing in and out

function claims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

function signIn(newToken) {
  token = newToken;
  sessionStorage.setItem(TOKEN_KEY, token);
  const { sub, name } = claims(token);
  ui.who.textContent = name ? `${name} (${sub})` : sub ? String(sub) : "Signed in";
  ui.problem.hidden = true;
  ui.signIn.hidden = true;
  ui.account.hidden = ui.bell.hidden = ui.workspace.hidden = false;
  showUnread(0);
  lastEventId = null;
  live = new LiveEvents(onEvent, onConnection, () =>
    signOut("The server did not accept your token (it may have expired). Sign in again."));
  live.open();
  loadPreferences().catch(report);
}

function signOut(note = "") {
  session += 1;
  live?.stop();
  live = null;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  items.clear();
  pending = [];
  ready = false;
  ui.list.replaceChildren();
  ui.preferences.replaceChildren();
  ui.account.hidden = ui.bell.hidden = ui.workspace.hidden = true;
  ui.signIn.hidden = false;
  ui.signInNote.textContent = note;
  ui.signInNote.hidden = !note;
  ui.problem.hidden = true;
  (ui.devForm.hidden ? ui.tokenInput : ui.devName).focus();
}

function report(error) {
  if (error instanceof SignedOut) return;
  ui.problem.textContent = error.code === "RATE_LIMITED"
    ? "Slow down a little: too many changes in one second."
    : `Something went wrong: ${error.message}`;
  ui.problem.hidden = false;
}

ui.signOut.addEventListener("click", () => signOut());

ui.tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const pasted = ui.tokenInput.value.trim().replace(/^Bearer\s+/i, "");
  ui.tokenForm.reset();
  signIn(pasted);
});

ui.devName.addEventListener("input", () => {
  const name = ui.devName.value.trim();
  ui.devButton.textContent = name ? `Sign in as ${name}` : "Sign in";
});

ui.devForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: ui.devName.value }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return report(new Error(body.detail ?? `the server answered ${response.status}`));
  signIn(body.token);
});

async function offerDevSignIn() {
  // Development on this machine only: elsewhere the server answers 404 or 403.
  const response = await fetch("/dev/token").catch(() => null);
  ui.devForm.hidden = !response?.ok;
  ui.tokenForm.querySelector("button").classList.toggle("primary", ui.devForm.hidden);
}

addEventListener("online", () => live?.retryNow());
setInterval(() => {
  for (const time of ui.list.querySelectorAll("time")) time.textContent = ago(time.dateTime);
}, 30_000);

await offerDevSignIn();
if (token) signIn(token);
else signOut();
