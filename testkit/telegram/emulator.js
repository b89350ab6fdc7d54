// Starts the telegram-test-api emulator on 127.0.0.1:<port> and says "ready <port>" on stdout.
// Usage: node emulator.js <port>. Stops on SIGTERM or when stdin closes (the test process went away).
const TelegramServer = require("telegram-test-api");

const port = Number(process.argv[2]);
const server = new TelegramServer({ port, host: "127.0.0.1", storeTimeout: 600 });

server.start().then(() => {
  process.stdout.write(`ready ${port}\n`);
});

const stop = () => server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
