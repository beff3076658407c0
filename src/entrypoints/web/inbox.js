// The live inbox: GraphQL over HTTP for reads and actions, Socket.IO for live events (spoken
// directly over a WebSocket: the protocol is a few packet kinds, so no client library is needed).
// No framework and no build step; everything the page shows is built with textContent.

const TOKEN_KEY = "herald.token"; // sessionStorage: one sign-in per tab
const PAGE_SIZE = 20;
const MEMBER_PAGES = 5; // an opened group shows the members found in at most 5 pages of 100
const REFRESH_DELAY_MS = 150; // live changes that close together cause one refetch
const CONFIRM_EVERY_MS = 1000; // delivery confirmations: cumulative, at most once a second,
const CONFIRM_JITTER_MS = 1000; // and a random part of a second later while events keep coming
const LEAD_POLL_MS = 5000; // others seeing and reading send this user no event: look again
const RETRY_MAX_MS = 15_000;

const ITEM = `fragment Item on Notification {
  id type title message isRead createdAt relatedLeadId groupKey archivedAt }`;
const GROUP = `fragment Group on NotificationGroup {
  key type title count unreadCount actorIds actorCount relatedLeadId lastAt latest { message relatedLeadId } }`;
const GROUP_PAGE = `edges { node { ...Group } } pageInfo { hasNextPage endCursor }`;
const ITEM_PAGE = `edges { node { ...Item } } pageInfo { hasNextPage endCursor }`;
const INBOX = `query Inbox { inboxCounts { unread unseen }
  notificationGroups(first: ${PAGE_SIZE}) { ${GROUP_PAGE} } } ${GROUP}`;
const GROUPS = `query Groups($after: String) {
  notificationGroups(first: ${PAGE_SIZE}, after: $after) { ${GROUP_PAGE} } } ${GROUP}`;
const ARCHIVED = `query Archived { inboxCounts { unread unseen }
  notificationFeed(first: ${PAGE_SIZE}, filter: {archived: true}) { ${ITEM_PAGE} } } ${ITEM}`;
const FEED = `query Feed($first: Int, $after: String, $filter: NotificationFilter) {
  notificationFeed(first: $first, after: $after, filter: $filter) { ${ITEM_PAGE} } } ${ITEM}`;
const LEAD = `query Lead($id: ID!) {
  lead(id: $id) { id name email company score ownerId
    notifications(limit: 20) { id title createdAt recipients delivered seen read
      receipts(limit: 50) { userId name deliveredAt seenAt readAt } } }
  notificationFeed(first: 50, filter: {relatedLeadId: $id, types: [TASK_COMPLETED, COMMENT_ADDED]}) {
    edges { node { id type message createdAt } } } }`;
const MARK_AS_READ = `mutation MarkAsRead($id: String!) { markAsRead(id: $id) { ...Item } } ${ITEM}`;
const MARK_AS_UNREAD = `mutation MarkAsUnread($id: String!) { markAsUnread(id: $id) { ...Item } } ${ITEM}`;
const ARCHIVE = `mutation Archive($id: String!) { archiveNotification(id: $id) { ...Item } } ${ITEM}`;
const UNARCHIVE = `mutation Unarchive($id: String!) { unarchiveNotification(id: $id) { ...Item } } ${ITEM}`;
const DELETE = "mutation Delete($id: String!) { deleteNotification(id: $id) }";
const MARK_GROUP_AS_READ = "mutation MarkGroupAsRead($key: String!) { markGroupAsRead(groupKey: $key) }";
const MARK_ALL_AS_READ = "mutation MarkAllAsRead { markAllAsRead }";
const MARK_ALL_AS_SEEN = "mutation MarkAllAsSeen { markAllAsSeen }";
const CREATE_LEAD = `mutation CreateLead($input: CreateLeadInput!) { createLead(input: $input) { id name } }`;
const UPDATE_SCORE = `mutation UpdateLeadScore($id: ID!, $score: Int!) { updateLeadScore(id: $id, score: $score) { id score } }`;
const CREATE_TASK = `mutation CreateTask($input: CreateTaskInput!) { createTask(input: $input) { id title completedAt } }`;
const COMPLETE_TASK = `mutation CompleteTask($id: ID!) { completeTask(id: $id) { id title completedAt } }`;
const ADD_COMMENT = `mutation AddComment($input: AddCommentInput!) { addComment(input: $input) { id body createdAt } }`;
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
  bell: $("bell"), badge: $("unseen-badge"), unreadStatus: $("unread-status"),
  workspace: $("workspace"), heading: $("inbox-title"), connection: $("connection"),
  markAllRead: $("mark-all-read"), showInbox: $("show-inbox"), showArchived: $("show-archived"),
  list: $("notifications"), empty: $("empty"), loadMore: $("load-more"), theEnd: $("the-end"),
  groupTemplate: $("group-template"), itemTemplate: $("item-template"),
  leadForm: $("create-lead"), leadStatus: $("create-lead-status"),
  preferences: $("preferences"), preferencesStatus: $("preferences-status"),
  lead: $("lead"), leadTitle: $("lead-title"), leadFacts: $("lead-facts"), leadClose: $("lead-close"),
  leadRefresh: $("lead-refresh"), scoreForm: $("lead-score"), scoreInput: $("lead-score-value"),
  taskForm: $("lead-task"), tasks: $("lead-tasks"), commentForm: $("lead-comment"),
  comments: $("lead-comments"), sent: $("lead-sent"), sentEmpty: $("lead-sent-empty"),
  leadViewStatus: $("lead-status"),
};

class SignedOut extends Error {}

// ---------------------------------------------------------------- state

let token = sessionStorage.getItem(TOKEN_KEY);
let session = 0; // bumped on sign-in, sign-out and refetch: late answers of an older one are dropped
let lastEventId = null;
let ready = false; // false while the first page loads: events wait in `pending`
let pending = [];
let view = "inbox"; // or "archived"
let endCursor = null;
let hasNextPage = false;
let pagesLoaded = 0;
let loadingPage = false;
let refreshTimer = null;
let refetchTimer = null; // the inbox's first page tried again after a failed read
let refetchRetries = 0;
let countsHeard = 0; // unread-count events applied: a newer one than a mutation's answer wins
let counts = { unread: 0, unseen: 0 };
const groups = new Map(); // group key -> { group, element, expanded }
const items = new Map(); // notification id -> { notification, element }: opened groups' members, archived ones
const delivery = { upTo: 0, confirmed: 0, lastAt: 0, timer: null };
let live = null;
let lead = null; // the open lead view: { id, poller, reloadTimer }
const madeHere = new Map(); // lead id -> { tasks: Map(id -> task), comments: [] } added in this tab

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

// How long to wait before try number `retries` + 1: 1, 2, 4 … 15 seconds.
function backoffMs(retries) {
  return Math.min(RETRY_MAX_MS, 1000 * 2 ** retries);
}

// ---------------------------------------------------------------- Socket.IO over a WebSocket

// Engine.IO 4 packets are a digit and a payload: 0 open, 1 close, 2 ping, 3 pong, 4 message.
// A message carries a Socket.IO packet: 0 connect, 1 disconnect, 2 event, 4 connect error;
// the default namespace has no prefix, so an event reads `42["name",{...}]`.
class LiveSocket {
  constructor(auth, onEvent, onState, onRefused) {
    Object.assign(this, { auth, onEvent, onState, onRefused });
    this.socket = null;
    this.connected = false;
    this.retries = 0;
    this.stopped = false;
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/socket.io/?EIO=4&transport=websocket`);
    this.socket = socket;
    this.refusal = null; // the reason the server gives for refusing this one, if it does
    this.onState(this.retries ? "reconnecting" : "connecting");
    socket.onmessage = (message) => {
      if (socket === this.socket && typeof message.data === "string") this.receive(message.data);
    };
    socket.onclose = () => this.closed(socket);
  }

  receive(data) {
    switch (data[0]) {
      case "0": { // the handshake: how often the server pings; then join the default namespace
        const { pingInterval, pingTimeout } = JSON.parse(data.slice(1));
        this.silence = pingInterval + pingTimeout;
        this.heard();
        this.send(`40${JSON.stringify(this.auth())}`);
        break;
      }
      case "2":
        this.send("3");
        this.heard();
        break;
      case "1":
        this.socket.close();
        break;
      case "4":
        this.packet(data.slice(1));
        break;
    }
  }

  packet(packet) {
    const body = packet.slice(1);
    switch (packet[0]) {
      case "0":
        this.retries = 0;
        this.connected = true;
        this.onState("live");
        break;
      case "1": // the server hung up (the token expired): reconnecting tells whether it still holds
        this.socket.close();
        break;
      case "2": {
        const [event, data] = JSON.parse(body.replace(/^\d+/, "")); // an ack id may precede it
        this.onEvent(event, data);
        break;
      }
      case "4": {
        const { message } = JSON.parse(body || "{}");
        if (message === "unauthorized") {
          this.stop();
          this.onRefused();
        } else { // too-many-connections, rate-limited, try-again: shown, and tried again later
          console.warn("herald: the server refused the socket:", message);
          this.refusal = message;
          this.socket.close();
        }
        break;
      }
    }
  }

  emit(event, data) {
    if (!this.connected) return false;
    this.send(`42${JSON.stringify([event, data])}`);
    return true;
  }

  send(text) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  heard() { // no ping for longer than the server promised: the line is dead
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.socket.close(), this.silence);
  }

  closed(socket) {
    if (socket !== this.socket) return;
    this.connected = false;
    clearTimeout(this.watchdog);
    if (this.stopped) return;
    const delay = backoffMs(this.retries) * (0.75 + Math.random() / 2);
    this.retries += 1;
    this.onState("offline", Math.round(delay / 1000), this.refusal);
    this.timer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.socket?.readyState !== WebSocket.CLOSED || this.stopped) return;
    clearTimeout(this.timer);
    this.open();
  }

  stop() {
    this.stopped = true;
    this.connected = false;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.socket?.close(1000);
  }
}

// ---------------------------------------------------------------- events

function onEvent(name, data) {
  const eventId = data?.eventId;
  if (Number.isInteger(eventId)) {
    if (lastEventId !== null && eventId <= lastEventId) return; // delivered twice
    lastEventId = eventId;
    if (name === "notification:created") {
      delivery.upTo = Math.max(delivery.upTo, eventId);
      confirmSoon();
    }
  }
  if (ready) apply(name, data);
  else pending.push([name, data]);
}

function apply(name, data) {
  switch (name) {
    case "notification:created":
      refreshSoon();
      break;
    case "notification:updated":
      updated(data);
      refreshSoon();
      break;
    case "notification:deleted":
      removeItem(data.id);
      refreshSoon();
      break;
    case "notifications:bulk-updated":
      if (data.action === "markAllAsRead" || data.action === "markGroupAsRead") {
        shownAsRead(data.groupKey);
        refreshSoon();
      }
      break;
    case "notifications:unread-count":
      countsHeard += 1;
      showCounts(data.count, data.unseen);
      break;
    case "notifications:resync": // too long away: what was missed is gone, so start over
      refetch();
      break;
  }
  if (lead && data?.relatedLeadId === lead.id) reloadLeadSoon();
  updateEmpty();
}

function onConnection(state, detail, refusal) {
  const offline = refusal ? `Refused (${refusal}), retrying in ${detail}s` : `Offline, retrying in ${detail}s`;
  const labels = { connecting: "Connecting…", live: "Live", offline, reconnecting: "Reconnecting…" };
  ui.connection.dataset.state = state;
  ui.connection.textContent = labels[state];
  if (state !== "live") return;
  confirmSoon(); // what arrived while the line was down
  if (lastEventId === null) refetch(); // nothing to resume from: read the inbox now
}

// Every notification:created up to `eventId` is delivered; one confirmation covers them all.
// One goes a second after the last and a random part of another second later (at once where
// that time has passed): the pages that one lead reached together, and that confirmed it
// together, do not go on confirming together every second while leads keep coming (a thousand
// confirmations at one instant hold up the next lead, in the server and in the database).
function confirmSoon() {
  if (delivery.timer !== null || delivery.upTo <= delivery.confirmed) return;
  const due = delivery.lastAt + CONFIRM_EVERY_MS + Math.random() * CONFIRM_JITTER_MS;
  const wait = Math.max(0, due - Date.now());
  delivery.timer = setTimeout(() => {
    delivery.timer = null;
    if (delivery.upTo <= delivery.confirmed) return;
    if (!live?.emit("notifications:delivered", { eventId: delivery.upTo })) return; // on reconnect
    delivery.confirmed = delivery.upTo;
    delivery.lastAt = Date.now();
  }, wait);
}

// ---------------------------------------------------------------- groups

function groupElement(group) {
  const element = ui.groupTemplate.content.firstElementChild.cloneNode(true);
  const entry = { group, element, expanded: false };
  element.querySelector(".expand").addEventListener("click", () => toggleMembers(entry));
  const markRead = element.querySelector(".mark-read");
  markRead.addEventListener("click", () => markGroupAsRead(entry, markRead));
  element.querySelector(".open-lead").addEventListener("click", () => openLead(groupLead(entry.group)));
  groups.set(group.key, entry);
  showGroup(entry, group);
  return entry;
}

function groupLead(group) {
  return group.relatedLeadId ?? (group.count === 1 ? group.latest.relatedLeadId : null);
}

function showGroup(entry, group) {
  const before = entry.group;
  entry.group = group;
  const { element } = entry;
  element.dataset.key = group.key;
  element.classList.toggle("unread", group.unreadCount > 0);
  element.querySelector(".title").textContent = group.title;
  element.querySelector(".message").textContent = group.latest.message;
  element.querySelector(".counts").textContent = group.unreadCount
    ? `${group.count} · ${group.unreadCount} unread` : `${group.count} · all read`;
  element.querySelector(".actors").textContent = actors(group);
  showTime(element.querySelector("time"), group.lastAt);
  const expand = element.querySelector(".expand");
  expand.textContent = entry.expanded ? "Hide" : group.count === 1 ? "Show" : `Show ${group.count}`;
  expand.setAttribute("aria-label", `Expand: ${group.title}`);
  const markRead = element.querySelector(".mark-read");
  markRead.hidden = group.unreadCount === 0;
  markRead.setAttribute("aria-label", `Mark group read: ${group.title}`);
  const openLeadButton = element.querySelector(".open-lead");
  openLeadButton.hidden = !groupLead(group);
  openLeadButton.setAttribute("aria-label", `Open the lead of: ${group.title}`);
  const changed = before !== group && (before.count !== group.count
    || before.unreadCount !== group.unreadCount || before.lastAt !== group.lastAt);
  if (entry.expanded && changed) loadMembers(entry);
}

function actors(group) {
  const others = group.actorCount - group.actorIds.length;
  return `by ${group.actorIds.join(", ")}${others > 0 ? ` and ${others} more` : ""}`;
}

// Orders as the server does: the newest `lastAt` first, then the key.
function comesBefore(a, b) {
  const [at, bt] = [Date.parse(a.lastAt), Date.parse(b.lastAt)];
  return at !== bt ? at > bt : a.key < b.key;
}

// Shows these groups in this order: the shown ones are updated in place, the others dropped.
function showGroups(list) {
  const keep = new Set(list.map((group) => group.key));
  for (const [key, entry] of groups) if (!keep.has(key)) dropGroup(entry);
  const elements = list.map((group) => {
    const entry = groups.get(group.key);
    if (!entry) return groupElement(group).element;
    showGroup(entry, group);
    return entry.element;
  });
  const shown = [...ui.list.children];
  if (elements.length !== shown.length || elements.some((element, at) => element !== shown[at])) {
    const focused = document.activeElement;
    ui.list.append(...elements); // moves the shown ones, in order
    if (focused !== document.activeElement && focused?.isConnected) focused.focus();
  }
}

function dropGroup(entry) {
  for (const [id, item] of items) if (entry.element.contains(item.element)) items.delete(id);
  removeElement(entry.element);
  groups.delete(entry.group.key);
}

// A live change: refetch the first page of groups, and keep the older pages that were loaded.
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
}

async function refresh() {
  if (view !== "inbox") return; // the Archived view changes only by what `updated` sees
  if (!ready) return refreshSoon(); // the first page is on its way; look again after it
  const mine = session;
  try {
    const { notificationGroups: page } = await graphql(GROUPS, { after: null });
    if (mine !== session) return;
    const fresh = page.edges.map((edge) => edge.node);
    const keys = new Set(fresh.map((group) => group.key));
    const last = fresh.at(-1);
    const older = page.pageInfo.hasNextPage
      ? [...groups.values()].map((entry) => entry.group)
        .filter((group) => !keys.has(group.key) && comesBefore(last, group))
      : [];
    showGroups([...fresh, ...older]);
    if (pagesLoaded <= 1) showPaging(page.pageInfo);
    updateEmpty();
  } catch (error) {
    if (mine === session) report(error);
  }
}

async function toggleMembers(entry) {
  entry.expanded = !entry.expanded;
  const button = entry.element.querySelector(".expand");
  button.setAttribute("aria-expanded", String(entry.expanded));
  showGroup(entry, entry.group);
  const members = entry.element.querySelector(".members");
  members.hidden = !entry.expanded;
  if (entry.expanded) await loadMembers(entry);
  else {
    for (const child of members.children) items.delete(child.dataset.id);
    members.replaceChildren();
  }
}

// The members of a group: lead-scoped groups by their type and lead; lead_created ones by their
// type, keeping those of the group's key (one actor's leads of one day).
async function loadMembers(entry) {
  const { group } = entry;
  const filter = group.type === "LEAD_CREATED" ? { types: [group.type] }
    : { types: [group.type], relatedLeadId: group.relatedLeadId };
  const mine = session;
  const found = [];
  let after = null;
  try {
    for (let page = 0; page < MEMBER_PAGES && found.length < group.count; page += 1) {
      const { notificationFeed: feed } = await graphql(FEED, { first: 100, after, filter });
      found.push(...feed.edges.map((edge) => edge.node).filter((node) => node.groupKey === group.key));
      if (!feed.pageInfo.hasNextPage) break;
      after = feed.pageInfo.endCursor;
    }
  } catch (error) {
    if (mine === session) report(error);
    return;
  }
  if (mine !== session || !entry.expanded || groups.get(group.key) !== entry) return;
  const members = entry.element.querySelector(".members");
  for (const child of members.children) items.delete(child.dataset.id);
  members.replaceChildren(...found.map(itemElement));
}

async function markGroupAsRead(entry, button) {
  button.disabled = true;
  ui.problem.hidden = true;
  try {
    await graphql(MARK_GROUP_AS_READ, { key: entry.group.key });
    shownAsRead(entry.group.key);
  } catch (error) {
    if (error.code !== "NOT_FOUND") report(error); // read, archived or deleted meanwhile
  } finally {
    button.disabled = false;
    refreshSoon();
  }
}

// ---------------------------------------------------------------- single notifications

function itemElement(notification) {
  const element = ui.itemTemplate.content.firstElementChild.cloneNode(true);
  const entry = { notification, element };
  const act = (selector, mutation, label) => {
    const button = element.querySelector(selector);
    button.setAttribute("aria-label", `${label}: ${notification.title}`);
    button.addEventListener("click", () => change(entry, button, mutation));
  };
  act(".mark-read", MARK_AS_READ, "Mark read");
  act(".mark-unread", MARK_AS_UNREAD, "Mark unread");
  act(".archive", ARCHIVE, "Archive");
  act(".unarchive", UNARCHIVE, "Unarchive");
  act(".delete", DELETE, "Delete");
  const openLeadButton = element.querySelector(".open-lead");
  openLeadButton.hidden = !notification.relatedLeadId;
  openLeadButton.setAttribute("aria-label", `Open the lead: ${notification.title}`);
  openLeadButton.addEventListener("click", () => openLead(entry.notification.relatedLeadId));
  element.dataset.id = notification.id;
  element.querySelector(".title").textContent = notification.title;
  element.querySelector(".message").textContent = notification.message;
  showTime(element.querySelector("time"), notification.createdAt);
  items.set(notification.id, entry);
  showItem(entry, notification);
  return element;
}

function showItem(entry, notification) {
  entry.notification = notification;
  const { element } = entry;
  const archived = Boolean(notification.archivedAt);
  element.classList.toggle("unread", !notification.isRead);
  element.querySelector(".state").textContent =
    `${notification.isRead ? "Read" : "Unread"}${archived ? " · archived" : ""}`;
  const show = { ".mark-read": !notification.isRead, ".mark-unread": notification.isRead,
    ".archive": !archived, ".unarchive": archived };
  for (const [selector, shown] of Object.entries(show)) {
    const button = element.querySelector(selector);
    if (!shown && button === document.activeElement) element.querySelector(".delete").focus();
    button.hidden = !shown;
  }
}

// A notification changed (here or in another tab): show it where it is, or let it go when it
// no longer belongs to the view (archived in the inbox, unarchived in the Archived view).
function updated(notification) {
  const entry = items.get(notification.id);
  const belongs = Boolean(notification.archivedAt) === (view === "archived");
  if (entry && belongs) showItem(entry, { ...entry.notification, ...notification });
  else if (entry) removeItem(notification.id);
  else if (belongs && view === "archived") refetch(); // archived in another tab: show it here too
}

async function change(entry, button, mutation) {
  const { id } = entry.notification;
  button.disabled = true;
  ui.problem.hidden = true;
  try {
    const data = await graphql(mutation, { id });
    if (mutation === DELETE) removeItem(id);
    else updated(Object.values(data)[0]);
  } catch (error) {
    if (error.code === "NOT_FOUND") removeItem(id);
    else report(error);
  } finally {
    button.disabled = false;
    refreshSoon();
  }
}

function shownAsRead(groupKey) {
  for (const entry of items.values()) {
    if (groupKey === undefined || entry.notification.groupKey === groupKey) {
      showItem(entry, { ...entry.notification, isRead: true });
    }
  }
  for (const entry of groups.values()) {
    if (groupKey === undefined || entry.group.key === groupKey) {
      showGroup(entry, { ...entry.group, unreadCount: 0 });
    }
  }
}

function removeItem(id) {
  const entry = items.get(id);
  if (!entry) return;
  items.delete(id);
  removeElement(entry.element);
  updateEmpty();
}

function removeElement(element) {
  if (element.contains(document.activeElement)) ui.heading.focus();
  element.remove();
}

// ---------------------------------------------------------------- the list

function showCounts(unread, unseen) {
  counts = { unread, unseen };
  ui.badge.textContent = unseen > 99 ? "99+" : String(unseen);
  ui.badge.hidden = unseen === 0;
  ui.bell.dataset.unseen = String(unseen);
  ui.bell.setAttribute("aria-label", unseen ? `Notifications, ${unseen} new` : "Notifications");
  ui.unreadStatus.textContent = unread === 0 ? "No unread notifications"
    : `${unread} unread notification${unread === 1 ? "" : "s"}${unseen ? `, ${unseen} new` : ""}`;
  ui.markAllRead.disabled = unread === 0;
}

function showPaging(pageInfo) {
  hasNextPage = pageInfo.hasNextPage;
  endCursor = pageInfo.endCursor;
  ui.loadMore.hidden = !hasNextPage;
  updateEmpty();
}

function updateEmpty() {
  const shown = view === "inbox" ? groups.size : items.size;
  ui.empty.hidden = shown > 0 || hasNextPage;
  ui.theEnd.hidden = shown === 0 || hasNextPage;
}

function showTime(time, iso) {
  time.dateTime = iso;
  time.title = new Date(iso).toLocaleString();
  time.textContent = ago(iso);
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
  clearTimeout(refreshTimer);
  clearTimeout(refetchTimer);
  try {
    const data = await graphql(view === "inbox" ? INBOX : ARCHIVED);
    if (mine !== session) return;
    showCounts(data.inboxCounts.unread, data.inboxCounts.unseen);
    clearList();
    const page = view === "inbox" ? data.notificationGroups : data.notificationFeed;
    if (view === "inbox") showGroups(page.edges.map((edge) => edge.node));
    else ui.list.append(...page.edges.map((edge) => itemElement(edge.node)));
    pagesLoaded = 1;
    showPaging(page.pageInfo);
    ready = true;
    refetchRetries = 0;
    const waiting = pending;
    pending = [];
    for (const [name, event] of waiting) apply(name, event);
    nearTheEnd();
  } catch (error) {
    if (mine !== session) return;
    report(error);
    if (error instanceof SignedOut) return;
    // Until the first page is read, live events wait: read it again, sooner or later.
    refetchTimer = setTimeout(() => mine === session && refetch(), backoffMs(refetchRetries));
    refetchRetries += 1;
  }
}

function clearList() {
  groups.clear();
  items.clear();
  ui.list.replaceChildren();
}

async function loadNextPage() {
  if (!ready || loadingPage || !hasNextPage) return;
  const mine = session;
  loadingPage = true;
  ui.loadMore.disabled = true;
  ui.loadMore.textContent = "Loading…";
  try {
    if (view === "inbox") {
      const { notificationGroups: page } = await graphql(GROUPS, { after: endCursor });
      if (mine !== session) return;
      const shown = [...groups.values()].map((entry) => entry.group);
      showGroups([...shown, ...page.edges.map((edge) => edge.node).filter((g) => !groups.has(g.key))]);
      showPaging(page.pageInfo);
    } else {
      const filter = { archived: true };
      const { notificationFeed: page } = await graphql(FEED, { first: PAGE_SIZE, after: endCursor, filter });
      if (mine !== session) return;
      ui.list.append(...page.edges.filter((edge) => !items.has(edge.node.id)).map((edge) => itemElement(edge.node)));
      showPaging(page.pageInfo);
    }
    pagesLoaded += 1;
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
ui.loadMore.addEventListener("click", loadNextPage);

function nearTheEnd() {
  // The observer fires only on changes: a short page leaves the button in view, so look again.
  requestAnimationFrame(() => {
    if (!ui.loadMore.hidden && ui.loadMore.getBoundingClientRect().top < innerHeight + 300) {
      loadNextPage();
    }
  });
}

function showView(next) {
  nameView(next);
  clearList();
  hasNextPage = false;
  ui.loadMore.hidden = true;
  refetch();
}

function nameView(next) {
  view = next;
  ui.showInbox.setAttribute("aria-pressed", String(view === "inbox"));
  ui.showArchived.setAttribute("aria-pressed", String(view === "archived"));
  ui.heading.textContent = view === "inbox" ? "Inbox" : "Archived";
  ui.empty.textContent = view === "inbox"
    ? "Nothing here yet. When a teammate creates a lead, it shows up at once."
    : "Nothing archived. Archive a notification to put it away without deleting it.";
}

ui.showInbox.addEventListener("click", () => view !== "inbox" && showView("inbox"));
ui.showArchived.addEventListener("click", () => view !== "archived" && showView("archived"));

// ---------------------------------------------------------------- the bell and the inbox's actions

// Opening the bell: everything in the inbox counts as seen, in every tab of this user.
ui.bell.addEventListener("click", async () => {
  if (view !== "inbox") showView("inbox");
  ui.heading.focus();
  ui.heading.scrollIntoView({ block: "nearest" });
  if (counts.unseen === 0) return;
  const heard = countsHeard;
  try {
    await graphql(MARK_ALL_AS_SEEN);
    if (countsHeard === heard) showCounts(counts.unread, 0); // else the newer count is current
  } catch (error) {
    report(error);
  }
});

ui.markAllRead.addEventListener("click", async () => {
  ui.markAllRead.disabled = true;
  ui.problem.hidden = true;
  const heard = countsHeard;
  try {
    await graphql(MARK_ALL_AS_READ);
    shownAsRead();
    if (countsHeard === heard) showCounts(0, 0); // else the newer count is current
    refreshSoon();
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
    const { createLead: created } = await graphql(CREATE_LEAD, { input: { name, company } });
    ui.leadForm.reset();
    ui.leadStatus.textContent = `Created “${created.name}”. Your teammates have been told.`;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "quiet";
    open.textContent = "Open it";
    open.addEventListener("click", () => openLead(created.id));
    ui.leadStatus.append(" ", open);
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- the lead view

async function openLead(id) {
  if (!id) return;
  closeLead();
  lead = { id, poller: setInterval(() => document.hidden || loadLead(), LEAD_POLL_MS) };
  for (const list of [ui.tasks, ui.comments, ui.sent]) list.replaceChildren();
  ui.leadTitle.textContent = "Loading…";
  ui.leadFacts.textContent = "";
  ui.leadViewStatus.textContent = "";
  ui.scoreInput.value = "";
  ui.lead.hidden = false;
  ui.leadTitle.focus();
  ui.lead.scrollIntoView({ block: "nearest" });
  await loadLead();
}

function closeLead() {
  if (!lead) return;
  clearInterval(lead.poller);
  clearTimeout(lead.reloadTimer);
  lead = null;
  ui.lead.hidden = true;
}

function reloadLeadSoon() {
  clearTimeout(lead.reloadTimer);
  lead.reloadTimer = setTimeout(loadLead, REFRESH_DELAY_MS);
}

async function loadLead() {
  const id = lead?.id;
  if (!id) return;
  let data;
  try {
    data = await graphql(LEAD, { id });
  } catch (error) {
    if (lead?.id === id) report(error);
    return;
  }
  if (lead?.id !== id) return;
  if (!data.lead) {
    closeLead();
    report(new Error("that lead does not exist any more"));
    return;
  }
  const { name, company, email, ownerId, score, notifications } = data.lead;
  ui.leadTitle.textContent = name;
  ui.leadFacts.textContent = [company, email, `owner: ${ownerId ?? "nobody"}`, `score ${score}`]
    .filter(Boolean).join(" · ");
  if (document.activeElement !== ui.scoreInput) ui.scoreInput.value = String(score);
  const heard = data.notificationFeed.edges.map((edge) => edge.node);
  showTasks(id, heard.filter((node) => node.type === "TASK_COMPLETED"));
  showComments(id, heard.filter((node) => node.type === "COMMENT_ADDED"));
  ui.sent.replaceChildren(...notifications.map(sentElement));
  ui.sentEmpty.hidden = notifications.length > 0;
}

function addedHere(leadId) {
  if (!madeHere.has(leadId)) madeHere.set(leadId, { tasks: new Map(), comments: [] });
  return madeHere.get(leadId);
}

function line(text, className = "") {
  const element = document.createElement("li");
  element.className = className;
  element.textContent = text;
  return element;
}

function heardLine(notification) {
  const element = line(notification.message, "heard");
  const time = document.createElement("time");
  showTime(time, notification.createdAt);
  element.append(" · ", time);
  return element;
}

function showTasks(leadId, heard) {
  const made = [...addedHere(leadId).tasks.values()].map((task) => {
    const element = line(task.title, "task");
    if (task.completedAt) element.append(" · done");
    else {
      const complete = document.createElement("button");
      complete.type = "button";
      complete.textContent = "Complete";
      complete.setAttribute("aria-label", `Complete: ${task.title}`);
      complete.addEventListener("click", () => leadAction(complete, async () => {
        const { completeTask: done } = await graphql(COMPLETE_TASK, { id: task.id });
        addedHere(leadId).tasks.set(done.id, done);
        return `Completed “${done.title}”.`;
      }));
      element.append(" ", complete);
    }
    return element;
  });
  ui.tasks.replaceChildren(...made, ...heard.map(heardLine));
}

function showComments(leadId, heard) {
  const made = addedHere(leadId).comments.map((comment) => line(`You: ${comment.body}`, "comment"));
  ui.comments.replaceChildren(...made, ...heard.map(heardLine));
}

// How a lead's notification was received: counts, then each recipient's furthest step.
function sentElement(sent) {
  const element = line("", "sent-item");
  const title = document.createElement("p");
  title.className = "title";
  title.textContent = sent.title;
  const meta = document.createElement("p");
  meta.className = "meta";
  const time = document.createElement("time");
  showTime(time, sent.createdAt);
  meta.append(`${sent.recipients} told: ${sent.delivered} delivered, ${sent.seen} seen, `
    + `${sent.read} read · `, time);
  const receipts = document.createElement("ul");
  receipts.className = "receipts";
  receipts.append(...sent.receipts.map((receipt) => {
    const step = receipt.readAt ? "read" : receipt.seenAt ? "seen" : receipt.deliveredAt ? "delivered" : "sent";
    const element = line(`${receipt.name ?? receipt.userId}: ${step}`, "receipt");
    element.dataset.step = step;
    element.title = receipt.userId;
    return element;
  }));
  element.append(title, meta, receipts);
  return element;
}

async function leadAction(button, action) {
  const id = lead?.id;
  button.disabled = true;
  ui.leadViewStatus.textContent = "";
  ui.problem.hidden = true;
  try {
    const done = await action();
    if (lead?.id === id) ui.leadViewStatus.textContent = done;
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
  if (lead?.id === id) await loadLead();
}

ui.leadClose.addEventListener("click", () => {
  closeLead();
  ui.heading.focus();
});
ui.leadRefresh.addEventListener("click", () => loadLead());

ui.scoreForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const { id } = lead;
  leadAction(ui.scoreForm.querySelector("button"), async () => {
    const score = Number(ui.scoreInput.value);
    const { updateLeadScore: scored } = await graphql(UPDATE_SCORE, { id, score });
    ui.scoreInput.blur();
    return `The score is ${scored.score}.`;
  });
});

ui.taskForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const leadId = lead.id;
  const title = new FormData(ui.taskForm).get("title").trim();
  leadAction(ui.taskForm.querySelector("button"), async () => {
    const { createTask: task } = await graphql(CREATE_TASK, { input: { leadId, title } });
    addedHere(leadId).tasks.set(task.id, task);
    ui.taskForm.reset();
    return `Added the task “${task.title}”.`;
  });
});

ui.commentForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const leadId = lead.id;
  const body = new FormData(ui.commentForm).get("body").trim();
  leadAction(ui.commentForm.querySelector("button"), async () => {
    const { addComment: comment } = await graphql(ADD_COMMENT, { input: { leadId, body } });
    addedHere(leadId).comments.unshift(comment);
    ui.commentForm.reset();
    return "Comment added.";
  });
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
  showCounts(0, 0);
  lastEventId = null;
  Object.assign(delivery, { upTo: 0, confirmed: 0, lastAt: 0 });
  live = new LiveSocket(() => ({ token, lastEventId }), onEvent, onConnection, () =>
    signOut("The server did not accept your token (it may have expired). Sign in again."));
  live.open();
  refetch(); // at once, live or not; read again once live, from when the socket joined
  loadPreferences().catch(report);
}

function signOut(note = "") {
  session += 1;
  live?.stop();
  live = null;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(delivery.timer);
  delivery.timer = null;
  clearTimeout(refreshTimer);
  clearTimeout(refetchTimer);
  refetchRetries = 0;
  closeLead();
  madeHere.clear();
  nameView("inbox");
  clearList();
  pending = [];
  ready = false;
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
  for (const time of ui.workspace.querySelectorAll("time")) time.textContent = ago(time.dateTime);
}, 30_000);

await offerDevSignIn();
if (token) signIn(token);
else signOut();
