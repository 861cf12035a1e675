// A small JSON service with a few awaits per request, like real service code.
import http from 'node:http';

const wait = () => new Promise((resolve) => setImmediate(resolve));
async function loadUser(id) {
  await wait();
  return { id, name: `user-${id}`, roles: ['reader'] };
}
async function loadOrders(user) {
  await wait();
  return Array.from({ length: 5 }, (_, i) => ({ id: i, owner: user.id, total: i * 3 }));
}

const server = http.createServer(async (request, response) => {
  const user = await loadUser(Number(request.url.slice(1)) || 1);
  const orders = await loadOrders(user);
  const body = JSON.stringify({ user, orders, total: orders.reduce((sum, order) => sum + order.total, 0) });
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (message) => {
  if (message === 'rss') process.send({ rss: process.memoryUsage().rss });
  // The whole process's CPU time (every thread: the watchdog's and the capture thread's too).
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (message === 'stop') server.close(() => process.exit(0));
});
