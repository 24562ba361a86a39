import { LockLostError } from '../domain/errors';
import type { OrderSnapshot } from '../order-state/order-state';
import { ProviderError } from '../providers/provider-error';
import type { Purchase } from '../providers/types';
import type { AttemptContext } from './provision-order';

/** The provider reported the purchase failed: it will not become active, whatever we do. */
export class PurchaseFailedError extends Error {
  override readonly name = 'PurchaseFailedError';
}

/** A 404 on a status call: the provider no longer knows the reference we stored. */
export function isUnknownReference(error: unknown): boolean {
  return error instanceof ProviderError && error.details.operation === 'status' && error.details.status === 404;
}

/** How often a timed-out buy is looked for at the provider during the grace. */
const GRACE_LOOKUP_EVERY_MS = 1_000;

/**
 * The purchase for this attempt, bought at most once: resume the stored reference; else find one made
 * earlier for the order (`lookedUp`: the look-up, if already asked); only if there is none, buy
 * (idempotently) and store its reference at once.
 */
export async function obtainPurchase(ctx: AttemptContext, order: OrderSnapshot, lookedUp?: Promise<Purchase | null>): Promise<Purchase> {
  if (order.providerReference) {
    ctx.log.info({ providerReference: order.providerReference }, 'resuming the accepted purchase');
    try {
      return await ctx.provider.getPurchase(order.providerReference, { signal: ctx.deps.signal });
    } catch (error) {
      if (!isUnknownReference(error)) throw error;
      return recoverLostPurchase(ctx, order, order.providerReference);
    }
  }
  const existing = await (lookedUp ?? ctx.provider.findPurchase(order.id, { signal: ctx.deps.signal }));
  if (existing && existing.status !== 'failed') {
    ctx.log.info({ providerReference: existing.reference }, 'found an earlier purchase at the provider; not buying again');
    await ctx.deps.orders.storePurchase(order.id, ctx.fence, existing.reference);
    return existing;
  }
  return buy(ctx, order, order.purchaseGeneration);
}

/**
 * The provider no longer knows the reference we stored (404): look the purchase up by the order's
 * reference; if there is none, forget the old reference and buy anew under a new idempotency key.
 */
export async function recoverLostPurchase(ctx: AttemptContext, seen: OrderSnapshot | null, staleReference: string): Promise<Purchase> {
  const order = seen ?? (await ctx.deps.orders.load(ctx.payload.orderId));
  if (!order) throw new Error(`Order ${ctx.payload.orderId} disappeared while provisioning`);
  ctx.log.warn({ providerReference: staleReference }, 'the provider no longer knows the stored purchase; looking it up by the order');
  const found = await ctx.provider.findPurchase(order.id, { signal: ctx.deps.signal });
  if (found && found.status !== 'failed' && found.reference !== staleReference) {
    await ctx.deps.orders.storePurchase(order.id, ctx.fence, found.reference);
    return found;
  }
  await ctx.deps.orders.forgetPurchase(order.id, ctx.fence);
  return buy(ctx, order, order.purchaseGeneration + 1);
}

/**
 * Buys, holding the package lock for longer than the buy can take, and stores the reference at once.
 * The buy is not aborted on shutdown (the provider would go on with it regardless); a buy whose answer
 * never came is looked for during the grace before the attempt gives up, still under the lock, since
 * the provider may still be processing it.
 */
async function buy(ctx: AttemptContext, order: OrderSnapshot, generation: number): Promise<Purchase> {
  const { deps, lock } = ctx;
  // A SmartVPS buy only ever happens under its package lock (a poll step that lost the lock cannot buy).
  if (ctx.packageName && !lock) throw new LockLostError(`Not holding the lock on package ${ctx.packageName}: not buying`);
  if (lock) {
    // Granted or renewed so recently that it is certainly ours for the whole buy, by the clock since
    // Redis said so (the usual first step: no round trip); otherwise Redis is asked. Never a flag
    // alone: a worker cut off from Redis would never see its lock expire.
    const certainMs = lock.certainForMs();
    const validMs = certainMs >= deps.settings.buyLockValidityMs ? certainMs : await lock.confirm();
    if (validMs < deps.settings.buyLockValidityMs) {
      throw new LockLostError(
        validMs === 0
          ? `Could not confirm the lock on package ${lock.packageName} before buying`
          : `The lock on package ${lock.packageName} is held for ${validMs} ms more, less than a buy may take (${deps.settings.buyLockValidityMs} ms)`,
      );
    }
  }
  const request = {
    orderReference: order.id,
    idempotencyKey: `order-${order.id}-${generation}`,
    plan: order.plan,
    os: order.os,
    ...(order.packageName ? { packageName: order.packageName } : {}),
  };
  let purchase: Purchase;
  try {
    purchase = await ctx.provider.buy(request);
  } catch (error) {
    if (!answerUnknown(error)) throw error;
    const found = await lookForTimedOutBuy(ctx, order.id);
    if (!found) throw error;
    ctx.log.info({ providerReference: found.reference }, 'the buy whose answer never came went through; going on with it');
    purchase = found;
  }
  await deps.orders.storePurchase(order.id, ctx.fence, purchase.reference);
  ctx.log.info({ providerReference: purchase.reference }, 'purchase accepted');
  return purchase;
}

/** A gateway's word for "the provider did not answer in time": behind it, the buy may be going on. */
const GATEWAY_STATUSES = new Set([502, 504, 524]);

/**
 * No usable answer to a buy: a timeout, a lost connection, a gateway's 502/504/524, or a success whose
 * body we could not read. The provider may have taken it all the same.
 */
function answerUnknown(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.kind === 'timeout') return true;
  const status = error.details.status;
  return error.kind === 'transient' && (status === undefined || GATEWAY_STATUSES.has(status) || (status >= 200 && status <= 299));
}

/** Looks the purchase up until it appears or the grace passes; lookup errors just mean "not yet". */
async function lookForTimedOutBuy(ctx: AttemptContext, orderReference: string): Promise<Purchase | null> {
  const { clock, settings } = ctx.deps;
  const until = clock.now().getTime() + settings.buyGraceMs;
  for (;;) {
    const found = await ctx.provider.findPurchase(orderReference).catch(() => null);
    if (found && found.status !== 'failed') return found;
    const left = until - clock.now().getTime();
    if (left <= 0) return null;
    await clock.sleep(Math.min(GRACE_LOOKUP_EVERY_MS, left));
  }
}
