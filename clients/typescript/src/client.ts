// A small, typed client for the loyalty engine's gRPC API over Connect's gRPC transport (HTTP/2).
//
//   const client = new LoyaltyClient({ target: "http://127.0.0.1:50051", clientId, clientSecret });
//   const { member } = await client.ledger.enrollMember({ requestId: crypto.randomUUID(), member: {} });
//
// It authenticates as a service account (client credentials): it exchanges the id and secret for an
// access token itself and attaches it to every call, so callers never handle tokens.
import { readFileSync } from "node:fs";
import {
  Code,
  ConnectError,
  createClient,
  type Client,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { ActivityService } from "./gen/loyalty/v1/activity_pb.js";
import { AuthService, GrantType } from "./gen/loyalty/v1/auth_pb.js";
import { LedgerService } from "./gen/loyalty/v1/ledger_pb.js";
import { SubscriptionService } from "./gen/loyalty/v1/subscription_pb.js";

export { Code, ConnectError };

export interface LoyaltyClientOptions {
  /** `http://host:port` (plaintext) or `https://host:port` (TLS). */
  target: string;
  /** The service account's client id and secret (AuthService.ExchangeToken, client credentials). */
  clientId: string;
  clientSecret: string;
  /** PEM file of the CA that signed the server's certificate (https only); default the system CAs. */
  caFile?: string;
  /** Sent as `x-loyalty-tenant` (admins of a cross-tenant account acting in another tenant). */
  tenant?: string;
  /** Deadline of each unary call, in milliseconds, unless the call passes its own. Default 10000. */
  timeoutMs?: number;
}

/** The ErrorInfo reason of a failed call (e.g. "MEMBER_NOT_FOUND"), or undefined if it has none. */
export function errorReason(err: unknown): string | undefined {
  // The server puts a google.rpc.Status in `grpc-status-details-bin`; Connect decodes its details
  // lazily against the schema we ask for.
  if (!(err instanceof ConnectError)) return undefined;
  return err.findDetails(ErrorInfoSchema)[0]?.reason;
}

export class LoyaltyClient {
  readonly auth: Client<typeof AuthService>;
  readonly activity: Client<typeof ActivityService>;
  readonly ledger: Client<typeof LedgerService>;
  readonly subscription: Client<typeof SubscriptionService>;

  // Our own session manager, so close() can end the HTTP/2 connection (streams included).
  private readonly session: Http2SessionManager;
  private readonly tokens: TokenSource;

  constructor(options: LoyaltyClientOptions) {
    const url = URL.canParse(options.target) ? new URL(options.target) : undefined;
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new Error(`target must be http://host:port or https://host:port, not "${options.target}"`);
    }
    if (options.caFile !== undefined && url.protocol !== "https:") {
      throw new Error("caFile needs an https:// target");
    }
    const nodeOptions = options.caFile === undefined ? {} : { ca: readFileSync(options.caFile) };
    this.session = new Http2SessionManager(url, {}, nodeOptions);
    const grpc = createGrpcTransport({
      baseUrl: url.origin,
      sessionManager: this.session,
      interceptors: [authInterceptor(() => this.tokens, options.tenant)],
    });
    const transport = withUnaryDeadline(grpc, options.timeoutMs ?? 10_000);
    this.auth = createClient(AuthService, transport);
    this.activity = createClient(ActivityService, transport);
    this.ledger = createClient(LedgerService, transport);
    this.subscription = createClient(SubscriptionService, transport);
    this.tokens = new TokenSource(async () => {
      const response = await this.auth.exchangeToken({
        grantType: GrantType.CLIENT_CREDENTIALS,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
      });
      return { token: response.accessToken, lifetimeMs: Number(response.expiresInSeconds) * 1000 };
    });
  }

  /** Closes the connection; open streams end with an error. */
  close(): void {
    this.session.abort();
  }
}

/** Attaches `authorization: Bearer <token>` (and the tenant) to every call but the token exchange. */
function authInterceptor(tokens: () => TokenSource, tenant: string | undefined): Interceptor {
  return (next) => async (req) => {
    // ExchangeToken authenticates with the credentials in its request, and is how we get a token.
    if (req.method === AuthService.method.exchangeToken) return next(req);
    if (tenant !== undefined) req.header.set("x-loyalty-tenant", tenant);
    const token = await tokens().get();
    req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      // The token may have been revoked, or the signing key retired, before its expiry: get a new
      // one. A unary call is tried once more with it. A stream is not (its request has been
      // consumed, and a subscriber resumes from its own cursor anyway); its next call gets the new one.
      if (ConnectError.from(err).code !== Code.Unauthenticated) throw err;
      tokens().invalidate(token);
      if (req.stream) throw err;
      req.header.set("authorization", `Bearer ${await tokens().get()}`);
      return await next(req);
    }
  };
}

/** A default deadline for unary calls only: a stream (events, member watch) is meant to stay open. */
function withUnaryDeadline(inner: Transport, timeoutMs: number): Transport {
  return {
    unary: (method, signal, callTimeoutMs, header, input, contextValues) =>
      inner.unary(method, signal, callTimeoutMs ?? timeoutMs, header, input, contextValues),
    // 0 = no deadline, whatever default the transport has.
    stream: (method, signal, callTimeoutMs, header, input, contextValues) =>
      inner.stream(method, signal, callTimeoutMs ?? 0, header, input, contextValues),
  };
}

/**
 * A client-credentials access token, fetched on first use and renewed at half its lifetime, so
 * a call never goes out with a token about to expire. No timer: renewal happens on the next call
 * after the half-way mark, which keeps an idle process free to exit.
 */
class TokenSource {
  private token: string | undefined;
  private renewAt = 0;
  private pending: Promise<string> | undefined;

  constructor(private readonly exchange: () => Promise<{ token: string; lifetimeMs: number }>) {}

  get(): Promise<string> {
    if (this.token !== undefined && Date.now() < this.renewAt) return Promise.resolve(this.token);
    // One fetch at a time: concurrent calls share the exchange in flight.
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets `token` if it is still the current one (not if another call already replaced it). */
  invalidate(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  private async fetch(): Promise<string> {
    const { token, lifetimeMs } = await this.exchange();
    this.token = token;
    this.renewAt = Date.now() + lifetimeMs / 2;
    return token;
  }
}
