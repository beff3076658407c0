// The benchmark's reference server: Socket.IO 4 on Node, sending the frames Herald sends for a
// lead and nothing else. It stores nothing and reads nothing: the same fleets and leads against
// it show what delivery costs on the machine before any database, so that Herald's figures can
// be read against what no server could beat with those clients, in one run.
//
// Usage: PORT=… JWT_SECRET=… node reference.mjs
//   GET  /health   200
//   POST /graphql  any body with variables.input.name: a lead "created" by the bearer token's
//                  user; answers {"data": {"createLead": {"id", "name"}}} once its frames are
//                  handed to the sockets
//   /socket.io     auth {token} (HS256, as Herald's): the socket joins its user's room
// For each lead, each connected user but the actor gets a `notification:created` of Herald's
// shape with the user's own next `eventId` (so each frame is encoded for its user, as
// Herald's are), and `notifications:unread-count` at most once per 250 ms per user, as Herald
// coalesces it. What the clients send (confirmations) is received and dropped.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT);
const secret = process.env.JWT_SECRET;
const COUNT_EVERY_MS = 250;

// The token's user, or null: HS256 signature and expiry checked, as Herald does.
function userOf(token) {
  const [header, payload, signature] = String(token ?? "").split(".");
  if (!signature) return null;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  return claims.exp * 1000 > Date.now() ? claims.sub : null;
}

const users = new Map(); // user id → {eventId, unread, sockets}
const counted = new Set(); // users whose unread count changed since the last count was sent

function createLead(actor, name) {
  const lead = randomUUID();
  const now = new Date().toISOString();
  for (const [userId, user] of users) {
    if (userId === actor || user.sockets === 0) continue;
    user.eventId += 1;
    user.unread += 1;
    counted.add(userId);
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
    const name = JSON.parse(Buffer.concat(chunks).toString()).variables?.input?.name ?? "";
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
  if (!users.has(userId)) users.set(userId, { eventId: 0, unread: 0, sockets: 0 });
  users.get(userId).sockets += 1;
  socket.join(userId);
  socket.on("disconnect", () => {
    users.get(userId).sockets -= 1;
  });
});

setInterval(() => {
  for (const userId of counted) {
    const user = users.get(userId);
    user.eventId += 1;
    io.to(userId).emit("notifications:unread-count", {
      count: user.unread,
      unseen: user.unread,
      eventId: user.eventId,
    });
  }
  counted.clear();
}, COUNT_EVERY_MS);

http.listen(port, "127.0.0.1");
