// Many sockets of the official socket.io-client (which, like a browser, offers
// permessage-deflate), in one Node process, for the benchmark (bench/sockets.py drives it).
// Usage: node fleet.mjs URL; stdin: one line {"tokens": [...]}, later any number of lines
// "count", then one line "stop".
// Each socket confirms what it received, as the inbox page does (FLEET_CONFIRM=0: never).
// A socket the server dropped connects again, as the inbox page does, with the last eventId it
// had: the server replays what came after it.
// stdout: {"connected": N, "failed": M} once every socket tried, {"count": N} on each "count"
// (the notification:created received so far, once per socket), then on "stop"
// {"received": [[relatedLeadId, seconds], ...], "reconnects": R}: every notification:created,
// once per socket, timed on CLOCK_MONOTONIC (Python's time.monotonic on Linux), and how many
// times the sockets connected again.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const [url] = process.argv.slice(2);
const BATCH = 25;
// Every notification:created up to the highest eventId received is confirmed with one
// notifications:delivered, as the inbox page does: a second after the socket's last and a random
// part of another second later (at once where that time has passed).
const CONFIRM_EVERY_MS = 1000;
const CONFIRM_JITTER_MS = 1000;
const CONFIRM = process.env.FLEET_CONFIRM !== "0"; // 0: a client that never confirms
// A pipe takes a long line in several writes: the promise is kept once all of it is written.
const say = (line) =>
  new Promise((resolve) => process.stdout.write(JSON.stringify(line) + "\n", resolve));
const now = () => Number(process.hrtime.bigint()) / 1e9;
const received = [];
const sockets = [];
let reconnects = 0;

function connect(token) {
  return new Promise((resolve) => {
    const seen = new Set();
    const delivery = { upTo: 0, confirmed: 0, lastAt: 0, timer: null };
    let lastEventId = 0;
    let connected = false;
    const auth = (send) => send(lastEventId ? { token, lastEventId } : { token });
    const socket = io(url, {
      auth,
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
    });
    const confirmSoon = () => {
      if (delivery.timer !== null || delivery.upTo <= delivery.confirmed) return;
      const due = delivery.lastAt + CONFIRM_EVERY_MS + Math.random() * CONFIRM_JITTER_MS;
      const wait = Math.max(0, due - Date.now());
      delivery.timer = setTimeout(() => {
        delivery.timer = null;
        socket.emit("notifications:delivered", { eventId: delivery.upTo });
        delivery.confirmed = delivery.upTo;
        delivery.lastAt = Date.now();
      }, wait);
    };
    socket.onAny((event, data) => {
      if (Number.isInteger(data?.eventId)) lastEventId = Math.max(lastEventId, data.eventId);
    });
    socket.on("notification:created", (data) => {
      if (CONFIRM) {
        delivery.upTo = Math.max(delivery.upTo, data.eventId);
        confirmSoon();
      }
      const lead = data.relatedLeadId;
      if (!seen.has(lead)) {
        seen.add(lead); // delivery is at least once: a repeat is not a delivery
        received.push([lead, now()]);
      }
    });
    socket.on("connect", () => {
      if (connected) reconnects += 1;
      connected = true;
      resolve(socket);
    });
    socket.on("connect_error", () => {
      if (!connected) {
        socket.disconnect(); // the first connection failed: no retries
        resolve(null);
      } else if (!socket.active) {
        // The server refused a reconnection (too many at once): the client gives up; try again.
        setTimeout(() => socket.connect(), 500);
      }
    });
  });
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { tokens } = JSON.parse((await lines.next()).value);
let failed = 0;
for (let start = 0; start < tokens.length; start += BATCH) {
  const batch = await Promise.all(tokens.slice(start, start + BATCH).map(connect));
  for (const socket of batch) socket ? sockets.push(socket) : (failed += 1);
}
await say({ connected: sockets.length, failed });
// "count": how many it has received so far; any other line ("stop"): what it received.
while ((await lines.next()).value?.trim() === "count") await say({ count: received.length });
await say({ received, reconnects });
for (const socket of sockets) socket.disconnect();
process.exit(0);
