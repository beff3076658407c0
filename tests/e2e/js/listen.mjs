// Connects with the official socket.io-client as a browser app would, and prints one JSON line
// per thing that happens: {"connected": id}, {"refused": message} or {"event": name, "data": …}.
// Usage: node listen.mjs URL TOKEN EVENT_COUNT TIMEOUT_MS
import { io } from "socket.io-client";

const [url, token, count, timeoutMs] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
let received = 0;

const socket = io(url, { auth: { token }, reconnection: false });
socket.on("connect", () => print({ connected: socket.id }));
socket.on("connect_error", (error) => {
  print({ refused: error.message });
  process.exit(0);
});
socket.onAny((event, data) => {
  print({ event, data });
  received += 1;
  if (received >= Number(count)) process.exit(0);
});
setTimeout(() => process.exit(1), Number(timeoutMs));
