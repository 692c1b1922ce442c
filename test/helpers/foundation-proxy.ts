import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of a real service, on a fixed local port, that can be taken down
 * (refusing connections and cutting open ones) and brought back, or made to swallow
 * connections without ever answering (a hung dependency).
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private mode: 'relay' | 'blackhole' = 'relay';
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forUrl(url: string): TcpProxy {
    const parsed = new URL(url);
    return new TcpProxy({ host: parsed.hostname, port: Number(parsed.port) });
  }

  static forHostPort(address: string): TcpProxy {
    const index = address.lastIndexOf(':');
    return new TcpProxy({ host: address.slice(0, index), port: Number(address.slice(index + 1)) });
  }

  /** The target URL with its port replaced by the proxy's. */
  url(original: string): string {
    const parsed = new URL(original);
    parsed.port = String(this.port);
    return parsed.toString().replace(/\/$/, '');
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Reserves a port without listening (so the first `up` can come later). */
  async reserve(): Promise<void> {
    await this.up();
    await this.down();
  }

  async up(mode: 'relay' | 'blackhole' = 'relay'): Promise<void> {
    this.mode = mode;
    if (this.server) return;
    const server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => client.destroy());
      if (this.mode === 'blackhole') return; // accept, read nothing, answer nothing
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
