import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  type: string;
  severity: string;
  requestId: string;
  accountId: string;
  actor: string;
  at: string;
  summary: string;
  idempotencyKey: string;
}

/** A real HTTP receiver standing in for Teams/Slack/PagerDuty; it can be taken down and brought back on the same port. */
/** A request exactly as it arrived, for formats other than the generic JSON and for signature checks. */
export interface RawDelivery {
  body: string;
  headers: IncomingHttpHeaders;
  json: any;
}

export class AlertSink {
  readonly received: ReceivedAlert[] = [];
  readonly raw: RawDelivery[] = [];
  /** When set, the receiver answers this status (and records nothing): a sink that is up but refusing. */
  failWith: number | null = null;
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (this.failWith !== null) return void res.writeHead(this.failWith).end();
        this.raw.push({ body, headers: req.headers, json: JSON.parse(body) });
        this.received.push({
          ...(JSON.parse(body) as Omit<ReceivedAlert, 'idempotencyKey'>),
          idempotencyKey: String(req.headers['idempotency-key']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  of(requestId: string): ReceivedAlert[] {
    return this.received.filter((alert) => alert.requestId === requestId);
  }

  types(requestId: string): string[] {
    return this.of(requestId).map((alert) => alert.type);
  }
}
