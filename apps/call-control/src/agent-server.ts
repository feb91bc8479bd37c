import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReasonCounters } from '@earshot/errors';
import type { CallEvent } from '@earshot/events';
import type { AgentCall, AgentCalls, AgentStep } from './agent-calls';
import { AgentRequestError, parseAnswerRequest, parseMediaRequest, parseStartRequest, parseStopRequest } from './agent-request';

/** Options of the agent HTTP endpoint. */
export interface AgentServerOptions {
  /** host:port to listen on (port 0: any free port). */
  readonly listen: string;
  /** The Bearer token every request but GET /v1/health must present (or one of `issuedTokenSha256s`). */
  readonly token: string;
  /** SHA-256 hex digests of further accepted tokens (agent-ingest tokens issued by the status service). Default: none. */
  readonly issuedTokenSha256s?: () => ReadonlySet<string>;
  readonly calls: AgentCalls;
  /** Publishes one event; resolves once the topic acknowledged it. */
  readonly publish: (event: CallEvent) => Promise<void>;
  /** `agent.requests.<status>` counters. */
  readonly counters: ReasonCounters;
  /** Rejected requests and publish failures, for the app's log. */
  readonly onProblem?: (message: string, details: Record<string, unknown>) => void;
  /** The receipt time in µs since the epoch. Default: the wall clock. */
  readonly nowUs?: () => number;
  /** Largest body accepted. Default 262144 bytes. */
  readonly maxBodyBytes?: number;
}

const CALL_PATH = /^\/v1\/calls\/([^/]+)(?:\/(media|answer|stop))?$/;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function view(call: AgentCall): Record<string, unknown> {
  return {
    callId: call.callId, state: call.phase, startedAtUs: call.startedAtUs, recorded: call.record,
    recordedUserId: call.recordedUserId, direction: call.direction, nextSequence: call.nextSeq,
  };
}

/**
 * The server-agent endpoint: a PBX or SBC pushes call start, media, answer and stop as JSON over
 * HTTP with a Bearer token (README.md has the API with curl examples). Each accepted request is
 * answered once its CallEvent is on qm.call-control.v1; a request that could not be published is
 * answered 503 and changes nothing, so the PBX can send it again.
 */
export class AgentServer {
  private server: Server | undefined;
  private readonly tokenDigest: Buffer;
  /** Requests per call id run one after another. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly options: AgentServerOptions) {
    this.tokenDigest = digest(options.token);
  }

  /** Listens; resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    const colon = this.options.listen.lastIndexOf(':');
    const host = this.options.listen.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(this.options.listen.slice(colon + 1));
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return server.address() as AddressInfo;
  }

  /** Stops taking requests and waits for those in hand. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await Promise.allSettled([...this.chains.values()]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 500;
    try {
      const url = new URL(req.url ?? '/', 'http://agent');
      const path = url.pathname;
      if (path === '/v1/health') {
        this.method(req, ['GET']);
        status = this.send(res, 200, { status: 'ok', calls: this.options.calls.size });
        return;
      }
      this.authenticate(req);
      if (path === '/v1/calls') {
        this.method(req, ['POST']);
        const body = parseStartRequest(await this.body(req, true));
        const step = await this.serial(body.callId, async () => this.publish(this.options.calls.planStart(body, this.now())));
        status = this.send(res, 201, step);
        return;
      }
      const m = CALL_PATH.exec(path);
      if (m === null) throw new AgentRequestError(404, `no such endpoint: ${req.method ?? ''} ${path}`);
      const callId = decodeURIComponent(m[1] as string);
      const action = m[2];
      if (action === undefined) {
        this.method(req, ['GET']);
        const call = this.options.calls.get(callId);
        if (call === undefined) throw new AgentRequestError(404, `no call ${JSON.stringify(callId)}`);
        status = this.send(res, 200, view(call));
        return;
      }
      this.method(req, ['POST']);
      const raw = await this.body(req, action === 'media');
      const calls = this.options.calls;
      const plan = action === 'media'
        ? ((b) => () => calls.planMedia(callId, b, this.now()))(parseMediaRequest(raw))
        : action === 'answer'
          ? ((b) => () => calls.planAnswer(callId, b, this.now()))(parseAnswerRequest(raw))
          : ((b) => () => calls.planStop(callId, b, this.now()))(parseStopRequest(raw));
      const step = await this.serial(callId, async () => this.publish(plan()));
      status = this.send(res, 200, step);
    } catch (e) {
      if (e instanceof AgentRequestError) {
        if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="earshot-agent"');
        if (e.status === 405) res.setHeader('Allow', e.message.replace(/^.*allowed: /, ''));
        status = this.send(res, e.status, { error: e.message, ...(e.field === null ? {} : { field: e.field }) });
        if (e.status !== 401) this.options.onProblem?.('agent request refused', { method: req.method, url: req.url, status: e.status, error: e.message });
      } else {
        this.options.onProblem?.('agent request failed', { method: req.method, url: req.url, error: e });
        status = this.send(res, 500, { error: 'internal error' });
      }
    } finally {
      this.options.counters.inc(`agent.requests.${status}`);
    }
  }

  private now(): number {
    return this.options.nowUs?.() ?? Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }

  /** Publishes the step's event (if its call is recorded), then commits the step. */
  private async publish(step: AgentStep): Promise<Record<string, unknown>> {
    if (step.event !== undefined) {
      try {
        await this.options.publish(step.event);
      } catch (e) {
        this.options.onProblem?.('agent event not published', { callId: step.call.callId, error: e });
        throw new AgentRequestError(503, 'the event could not be published to Kafka; nothing changed, send the request again');
      }
    }
    this.options.calls.commit(step);
    return {
      ...view(step.call),
      event: step.event === undefined ? null : { eventId: step.event.eventId, kind: step.event.kind, sequence: step.event.sequence, captureTimeUs: step.event.captureTimeUs },
    };
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (header === undefined) throw new AgentRequestError(401, 'missing Authorization: Bearer <token>');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) throw new AgentRequestError(401, 'wrong or malformed Bearer token');
    const presented = digest(m[1] as string);
    const issued = this.options.issuedTokenSha256s?.().has(presented.toString('hex')) ?? false;
    if (!timingSafeEqual(presented, this.tokenDigest) && !issued) throw new AgentRequestError(401, 'wrong or malformed Bearer token');
  }

  private method(req: IncomingMessage, allowed: string[]): void {
    if (!allowed.includes(req.method ?? '')) throw new AgentRequestError(405, `method ${req.method ?? ''} not allowed here; allowed: ${allowed.join(', ')}`);
  }

  /** Reads a JSON body (an empty one is `{}` unless required). */
  private async body(req: IncomingMessage, required: boolean): Promise<unknown> {
    const max = this.options.maxBodyBytes ?? 262_144;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new AgentRequestError(413, `body larger than ${max} bytes`);
      chunks.push(chunk);
    }
    if (size === 0) {
      if (required) throw new AgentRequestError(400, '(body) is required: a JSON object', '(body)');
      return {};
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) throw new AgentRequestError(415, `Content-Type must be application/json, got ${JSON.stringify(type)}`);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch (e) {
      throw new AgentRequestError(400, `(body) is not valid JSON: ${(e as Error).message}`, '(body)');
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): number {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return status;
  }
}
