// Preloaded into a third-party server started by a test (`node --import <this> ...`): every
// `server.listen(...)` binds 127.0.0.1 port 0 instead of what the program asked for, and the
// port it got is printed on stdout as `IMGSIM_LISTENING <port>` for the test to read.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = args.find((a) => typeof a === 'function');
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object') process.stdout.write(`\nIMGSIM_LISTENING ${address.port}\n`);
  });
  return listen.call(this, { port: 0, host: '127.0.0.1' }, callback);
};
