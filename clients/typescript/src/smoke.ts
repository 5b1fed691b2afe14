// Smoke test of the client against a running engine (demo program), as a POS would use it:
// subscribe to points events, enroll a member, record a purchase, check the balance, see the
// event arrive, and see an error come back with its reason. One line per step on stdout; exit 0
// on success, 1 with a "smoke: FAILED: ..." line on stderr otherwise.
//
//   LOYALTY_TARGET=http://127.0.0.1:50051 LOYALTY_CLIENT_ID=... LOYALTY_CLIENT_SECRET=... node dist/smoke.js
//
// Optional: LOYALTY_CA_FILE (an https target signed by a private CA), LOYALTY_TENANT.
import { randomUUID } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, errorReason, LoyaltyClient } from "./client.js";
import { SalesChannel } from "./gen/loyalty/v1/activity_pb.js";
import { type Event, EventType } from "./gen/loyalty/v1/subscription_pb.js";

const STEP_TIMEOUT_MS = 10_000;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

function step(name: string, detail: string): void {
  console.log(`${name}: ${detail}`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** "NotFound" -> "NOT_FOUND": the status names every other gRPC tool prints. */
function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

function describe(err: unknown): string {
  if (err instanceof ConnectError) {
    const reason = errorReason(err);
    return `${codeName(err.code)}${reason ? ` ${reason}` : ""}: ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Follows StreamEvents in the background and keeps what arrives, so the steps can write first and
 * look for their events afterwards.
 */
class EventWatch {
  readonly events: Event[] = [];
  /** Resolves once the server has sent the stream's headers, i.e. has fixed its start position. */
  readonly ready: Promise<void>;
  private ended: unknown;
  private wake: (() => void) | undefined;

  constructor(client: LoyaltyClient, signal: AbortSignal) {
    let opened!: () => void;
    let failed!: (reason: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.ready.catch(() => undefined); // reported by whoever awaits it
    const stream = client.subscription.streamEvents(
      {
        // from_now: only events written after the call begins; the server fixes that position
        // before it sends the headers, which is what `ready` waits for.
        start: { case: "fromNow", value: true },
        eventTypes: [EventType.POINTS_EARNED],
      },
      { signal, onHeader: () => opened() },
    );
    void (async () => {
      try {
        for await (const response of stream) {
          if (response.item.case === "event") this.events.push(response.item.value);
          this.notify();
        }
        this.ended = new Error("the event stream ended");
      } catch (err) {
        this.ended = err;
      } finally {
        failed(this.ended);
        this.notify();
      }
    })();
  }

  /** Takes the first event kept that `matches`, waiting up to `ms` for one to arrive. */
  async next(matches: (event: Event) => boolean, ms: number): Promise<Event> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(matches);
      if (found !== undefined) {
        this.events.splice(this.events.indexOf(found), 1);
        return found;
      }
      if (this.ended !== undefined) throw new Error(`event stream failed: ${describe(this.ended)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

async function run(client: LoyaltyClient, signal: AbortSignal): Promise<void> {
  // 1. Subscribe before writing anything, so the events of our writes cannot be missed.
  const watch = new EventWatch(client, signal);
  await withTimeout(watch.ready, STEP_TIMEOUT_MS, "the event stream to open");
  step("stream", "open (from now, points.earned)");

  // 2. Enroll a member (the request id makes a retry of this call safe).
  const enrolled = await client.ledger.enrollMember({ requestId: randomUUID(), member: {} });
  const member = enrolled.member;
  check(member !== undefined && member.memberId !== "", "EnrollMember returned no member");
  step("enroll", `member ${member.memberId} loyalty_id ${member.loyaltyId}`);

  // 3. A purchase: the demo program earns 1 point per 1.00 on everything and 2 more on "sports".
  const orderId = `smoke-${randomUUID()}`;
  const recorded = await client.activity.recordPurchase({
    requestId: orderId,
    orderId,
    member: { ref: { case: "memberId", value: member.memberId } },
    storeId: "smoke-store",
    channel: SalesChannel.STORE,
    currencyCode: "USD",
    items: [
      { sku: "BALL", category: "sports", quantity: 2n, amountMinor: 2599n, name: "Football" },
      { sku: "BOOK", category: "books", quantity: 1n, amountMinor: 1250n, name: "A book" },
    ],
    purchaseTime: timestampFromDate(new Date(Date.now() - 60_000)),
  });
  const earned = recorded.purchase?.pointsEarned ?? 0n;
  check(earned > 0n, `RecordPurchase earned ${earned} points, expected some`);
  step("purchase", `order ${orderId} earned ${earned} points`);

  // 4. The balance: purchase points are pending until the return window closes (demo: 30 days),
  // so the member's points are available + pending.
  const balance = (await client.ledger.getBalance({ memberId: member.memberId })).balance;
  check(balance !== undefined, "GetBalance returned no balance");
  const available = balance.currencies.reduce((sum, c) => sum + c.availablePoints, 0n);
  const pending = balance.currencies.reduce((sum, c) => sum + c.pendingPoints, 0n);
  check(available + pending > 0n, "the balance is empty");
  check(available + pending === earned, `balance ${available + pending} != ${earned} points earned`);
  step("balance", `${available + pending} points (available ${available}, pending ${pending})`);

  // 5. The points.earned events of our member (one per earn transaction) add up to the purchase.
  let streamed = 0n;
  while (streamed < earned) {
    const event = await watch.next(
      (e) => e.type === EventType.POINTS_EARNED && e.member?.memberId === member.memberId,
      STEP_TIMEOUT_MS,
    );
    check(event.payload.case === "pointsEarned", `event ${event.sequence} has no points.earned payload`);
    const points = event.payload.value.points;
    streamed += points;
    step("event", `${event.typeName} sequence ${event.sequence} member ${member.memberId} points ${points}`);
  }
  check(streamed === earned, `the events carry ${streamed} points, the purchase earned ${earned}`);

  // 6. An error comes back with its status code and ErrorInfo reason.
  try {
    await client.ledger.getBalance({ memberId: `m_unknown_${randomUUID().replaceAll("-", "")}` });
    throw new Error("GetBalance of an unknown member succeeded");
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    const reason = errorReason(err);
    check(err.code === Code.NotFound, `unknown member: expected NOT_FOUND, got ${describe(err)}`);
    check(reason !== undefined, `unknown member: NOT_FOUND without an ErrorInfo reason: ${err.rawMessage}`);
    step("error", `GetBalance(unknown member) ${codeName(err.code)} ${reason}`);
  }
}

async function main(): Promise<number> {
  let client: LoyaltyClient;
  try {
    const tenant = optionalEnv("LOYALTY_TENANT");
    const caFile = optionalEnv("LOYALTY_CA_FILE");
    client = new LoyaltyClient({
      target: env("LOYALTY_TARGET"),
      clientId: env("LOYALTY_CLIENT_ID"),
      clientSecret: env("LOYALTY_CLIENT_SECRET"),
      ...(tenant !== undefined && { tenant }),
      ...(caFile !== undefined && { caFile }),
    });
  } catch (err) {
    console.error(`smoke: FAILED: ${describe(err)}`);
    return 1;
  }
  const stream = new AbortController();
  try {
    await run(client, stream.signal);
    step("smoke", "ok");
    return 0;
  } catch (err) {
    console.error(`smoke: FAILED: ${describe(err)}`);
    return 1;
  } finally {
    stream.abort();
    client.close();
  }
}

process.exitCode = await main();
