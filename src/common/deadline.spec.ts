import { connect } from 'node:net';
import { DeadlineExceeded, withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('rejects with DeadlineExceeded when no answer comes', async () => {
    await expect(withDeadline(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(DeadlineExceeded);
  });

  it('passes on the answer or the failure that comes in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 20)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('refused')), 20)).rejects.toThrow('refused');
    await expect(withDeadline(new Promise(() => undefined), 5, 'loader timed out')).rejects.toThrow(
      'loader timed out within 5 ms',
    );
  });

  it('takes a reply that arrived while the event loop was stalled past the deadline (real Redis)', async () => {
    const socket = connect(6380, '127.0.0.1'); // the cache Redis of services:up
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      const reply = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
      const answer = withDeadline(reply, 20);
      socket.write('PING\r\n');
      // Redis answers within a millisecond; this process is busy for 100 ms, past the deadline.
      const until = Date.now() + 100;
      while (Date.now() < until);
      await expect(answer).resolves.toBe('+PONG\r\n');
    } finally {
      socket.destroy();
    }
  });
});
