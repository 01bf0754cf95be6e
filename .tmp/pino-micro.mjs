import pino from 'pino';
const dest = pino.destination({ dest: '/dev/null', sync: true, minLength: 8192 });
const log = pino({ level: 'info', base: { pid: process.pid, service: 'store-api' } }, dest).child({ context: 'Http' });
const N = 500000;
function run(label, fn) {
  for (let i = 0; i < 50000; i++) fn(i);
  const t = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  console.log(label, ((performance.now() - t) * 1000 / N).toFixed(2), 'µs');
}
run('pino child.info', (i) => log.info({ reqId: 'b1c0d5e2-1a2b-4c3d-9e8f-0123456789ab', method: 'GET', url: '/products/' + (i % 1000), route: '/products/:id', status: 200, ms: 1.3 }, 'request completed'));
run('hand JSON', (i) => dest.write(`{"level":30,"time":${Date.now()},"pid":${process.pid},"service":"store-api","context":"Http","reqId":"b1c0d5e2-1a2b-4c3d-9e8f-0123456789ab","method":"GET","url":${JSON.stringify('/products/' + (i % 1000))},"route":"/products/:id","status":200,"ms":1.3,"msg":"request completed"}\n`));
