// The benchmark's reference server: Socket.IO 4 on Node, sending the frames Herald sends for a
// lead and nothing else. It stores nothing and reads nothing: the same fleets and leads against
// it show what delivery costs with those clients on the machine before any database, in the
// same run as Herald's figures.
//
// Usage: PORT=… JWT_SECRET=… node reference.mjs
//   GET  /health   200
//   POST /graphql  a JSON body with variables.input.name: a lead "created" by the bearer
//                  token's user; answers {"data": {"createLead": {"id", "name"}}} once its
//                  frames are handed to the sockets (Herald answers at its commit, and sends
//                  the frames after)
//   /socket.io     auth {token} (HS256, with a subject and an expiry): the socket joins its
//                  user's room
// For each lead, each connected user but the actor gets a `notification:created` of Herald's
// shape with the user's own next `eventId` (so each frame is encoded for its user, as
// Herald's are), and `notifications:unread-count` as Herald coalesces it: at once when the
// user had none in the last 250 ms, else the newest at the window's end. What the clients send
// (confirmations) is received and dropped.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT);
const secret = process.env.JWT_SECRET;
const COUNT_EVERY_MS = 250;

const decoded = (part) => JSON.parse(Buffer.from(part, "base64url").toString());

// The token's user, or null: an HS256 token whose signature, expiry and subject check out.
function userOf(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  // base64url decoding skips what is not base64url: the signature must be exactly the encoding.
  if (given.toString("base64url") !== signature || given.length !== expected.length) return null;
  if (!timingSafeEqual(given, expected)) return null;
  try {
    if (decoded(header).alg !== "HS256") return null;
    const { sub, exp } = decoded(payload);
    const valid = typeof sub === "string" && sub !== "" && Number.isFinite(exp);
    return valid && exp * 1000 > Date.now() ? sub : null;
  } catch {
    return null;
  }
}

const users = new Map(); // user id → {eventId, unread, sockets, countedAt, countTimer}

// The user's count now, or at the end of the window of the last one sent (the newest then).
function countChanged(userId, user) {
  if (user.countTimer !== null) return; // the waiting count will carry the newest figure
  const wait = user.countedAt + COUNT_EVERY_MS - Date.now();
  if (wait <= 0) return sendCount(userId, user);
  user.countTimer = setTimeout(() => sendCount(userId, user), wait);
}

function sendCount(userId, user) {
  user.countTimer = null;
  user.countedAt = Date.now();
  user.eventId += 1;
  io.to(userId).emit("notifications:unread-count", {
    count: user.unread,
    unseen: user.unread,
    eventId: user.eventId,
  });
}

function createLead(actor, name) {
  const lead = randomUUID();
  const now = new Date().toISOString();
  for (const [userId, user] of users) {
    if (userId === actor || user.sockets === 0) continue;
    user.eventId += 1;
    user.unread += 1;
    io.to(userId).emit("notification:created", {
      id: randomUUID(),
      type: "lead_created",
      title: `New lead: ${name}`,
      message: `${actor} created the lead “${name}”`,
      isRead: false,
      readAt: null,
      seenAt: null,
      deliveredAt: null,
      archivedAt: null,
      groupKey: `lead_created:${now.slice(0, 10)}:${actor}`,
      relatedLeadId: lead,
      actorId: actor,
      createdAt: now,
      updatedAt: now,
      eventId: user.eventId,
    });
    countChanged(userId, user);
  }
  return lead;
}

const http = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const reply = (status, body) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/health") return reply(200, { status: "ok" });
    if (request.url !== "/graphql" || request.method !== "POST") return reply(404, {});
    const actor = userOf((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (actor === null) return reply(401, { errors: [{ message: "unauthenticated" }] });
    let name;
    try {
      name = String(JSON.parse(Buffer.concat(chunks).toString()).variables?.input?.name ?? "");
    } catch {
      return reply(400, { errors: [{ message: "the body is not JSON" }] });
    }
    reply(200, { data: { createLead: { id: createLead(actor, name), name } } });
  });
});

const io = new Server(http, { transports: ["websocket"] });
io.use((socket, next) => {
  const userId = userOf(socket.handshake.auth?.token);
  if (userId === null) return next(new Error("unauthenticated"));
  socket.data.userId = userId;
  next();
});
io.on("connection", (socket) => {
  const { userId } = socket.data;
  if (!users.has(userId)) {
    users.set(userId, { eventId: 0, unread: 0, sockets: 0, countedAt: 0, countTimer: null });
  }
  users.get(userId).sockets += 1;
  socket.join(userId);
  socket.on("disconnect", () => {
    users.get(userId).sockets -= 1;
  });
});

http.listen(port, "127.0.0.1");
