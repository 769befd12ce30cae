/**
 * Internal helpers shared by the built-in strategies: which tier a strategy prices a provider
 * in, the reusable scratch space a ranking is built in, and the rejection for requests no
 * provider can serve. Not exported from the package.
 *
 * Hot path: `route()` runs for every request, so a strategy owns one `Ranking` and reuses it.
 * Sort keys live in typed arrays indexed by provider position (= `ProviderView.index`), the
 * order is a typed array of positions sorted in place, and the candidate objects handed back
 * are cached per provider. The candidate list and the decision holding it are reused while the
 * ranking comes out the same (both frozen: a walk keeps them for its request's life), so a
 * request usually allocates nothing here.
 */
import { RequestShape } from '../../model/pricing/shape-memo.js';
import type { ImageRequest } from '../../model/request.js';
import { ProviderHandle } from '../provider-view.js';
import type { Candidate, ProviderView, RouteDecision } from '../strategy.js';

/** Above this many servable providers `sort()` uses `TypedArray#sort`; below, insertion sort is faster. */
const INSERTION_SORT_MAX = 32;

/**
 * The tier a strategy uses at a provider: the strategy's own `tier` option if set (a provider
 * without that tier is not used), else the request's tier if the provider has it, else the
 * provider's default (first) tier.
 * @param view - the provider
 * @param request - the request
 * @param strategyTier - the strategy's `tier` option
 * @returns the tier name, or undefined when the provider lacks the strategy's tier
 */
export function tierFor(view: ProviderView, request: ImageRequest, strategyTier: string | undefined): string | undefined {
  if (strategyTier !== undefined) return view.tiers.includes(strategyTier) ? strategyTier : undefined;
  const asked = request.tier;
  if (asked !== undefined && view.tiers.includes(asked)) return asked;
  return view.tiers[0] ?? view.spec.defaultTier;
}

/**
 * The rejection for a request no provider can serve, e.g.
 * `no provider can serve 1024x1024/30 steps/controlnet,lora`.
 * @param request - the request
 * @returns the decision
 */
export function noProvider(request: ImageRequest): { readonly reject: string } {
  const features = request.features.length === 0 ? 'no features' : request.features.join(',');
  return { reject: `no provider can serve ${request.size}/${request.steps} steps/${features}` };
}

/**
 * Reusable scratch space for ranking providers: positions of the providers taking part, two
 * numeric sort keys and the tier per position, and a cache of frozen candidate objects.
 */
export class Ranking {
  /** Positions (provider indices) taking part; `order[0..size)` is valid. */
  order = new Int32Array(8);
  /** Primary sort key per provider position (ascending). */
  key = new Float64Array(8);
  /** Secondary sort key per provider position (ascending), for ties of `key`. */
  key2 = new Float64Array(8);
  /** The tier chosen per provider position. */
  tier: string[] = [];
  /** Number of valid entries in `order`. */
  size = 0;
  /** The last candidate made per provider position (most strategies use one tier per provider). */
  private readonly cache: (Candidate | undefined)[] = [];
  /** The list `candidates` returned last (frozen: handed out again while the ranking is the same). */
  private lastList: readonly Candidate[] = Object.freeze([]);
  /** The decision `decision` returned last, holding `lastList`. */
  private lastDecision: { readonly candidates: readonly Candidate[] } = Object.freeze({ candidates: this.lastList });

  /** Whether the ranking holds for the requests of `shape` ({@link collectPriced}). */
  private held = false;
  /** The shape of the request the ranking was made for, as its prices read it. */
  private readonly shape = new RequestShape();
  private heldProviders: readonly ProviderView[] = [];
  private heldTier: string | undefined = undefined;
  private heldPrompt = false;
  private heldUrgency = false;

  /**
   * Whether the ranking {@link collectPriced} made last holds for a request: the same providers
   * and strategy tier, prices that depend on the request's shape only, and a request of that shape.
   * @param request - the request
   * @param providers - the context's providers
   * @param strategyTier - the strategy's `tier` option
   * @returns true when the ranking (before sorting) is what a new pass would make
   */
  holds(request: ImageRequest, providers: readonly ProviderView[], strategyTier: string | undefined): boolean {
    return (
      this.held &&
      providers === this.heldProviders &&
      strategyTier === this.heldTier &&
      this.shape.matches(request, request.tier, this.heldPrompt ? request.promptChars : 0, this.heldUrgency ? request.urgency : undefined)
    );
  }

  /**
   * Keeps the ranking just made for the requests of `request`'s shape (see {@link holds}).
   * @param request - the request ranked
   * @param providers - the context's providers
   * @param strategyTier - the strategy's `tier` option
   * @param promptChars - some provider's price reads the prompt's length
   * @param urgency - some provider's price reads the urgency
   */
  hold(request: ImageRequest, providers: readonly ProviderView[], strategyTier: string | undefined, promptChars: boolean, urgency: boolean): void {
    this.shape.copy(request, request.tier, promptChars ? request.promptChars : 0, urgency ? request.urgency : undefined);
    this.held = true;
    this.heldProviders = providers;
    this.heldTier = strategyTier;
    this.heldPrompt = promptChars;
    this.heldUrgency = urgency;
  }

  /** Ascending by `key`, then `key2`, then provider position: defined once, used by `sort()`. */
  private readonly compare = (a: number, b: number): number => {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    if (ka !== kb) return ka < kb ? -1 : 1;
    const la = this.key2[a]!;
    const lb = this.key2[b]!;
    if (la !== lb) return la < lb ? -1 : 1;
    return a - b;
  };

  /**
   * Empties the ranking and makes room for `n` providers.
   * @param n - number of providers in the context
   */
  reset(n: number): void {
    this.size = 0;
    this.held = false;
    if (this.order.length < n) {
      const cap = Math.max(n, this.order.length * 2);
      this.order = new Int32Array(cap);
      this.key = new Float64Array(cap);
      this.key2 = new Float64Array(cap);
    }
  }

  /**
   * Appends a provider. NaN keys count as +Infinity so they sort last.
   * @param pos - provider position in `ctx.providers`
   * @param tier - the tier to try it in
   * @param key - primary sort key
   * @param key2 - secondary sort key
   */
  add(pos: number, tier: string, key = 0, key2 = 0): void {
    this.order[this.size++] = pos;
    this.tier[pos] = tier;
    this.key[pos] = Number.isNaN(key) ? Infinity : key;
    this.key2[pos] = Number.isNaN(key2) ? Infinity : key2;
  }

  /**
   * Sets the primary sort key of a provider already added (NaN counts as +Infinity).
   * @param pos - provider position
   * @param key - the key
   */
  setKey(pos: number, key: number): void {
    this.held = false;
    this.key[pos] = Number.isNaN(key) ? Infinity : key;
  }

  /**
   * Sets the secondary sort key of a provider already added (NaN counts as +Infinity).
   * @param pos - provider position
   * @param key2 - the key
   */
  setKey2(pos: number, key2: number): void {
    this.held = false;
    this.key2[pos] = Number.isNaN(key2) ? Infinity : key2;
  }

  /** Sorts `order[0..size)` ascending by key, key2, then provider position (deterministic). */
  sort(): void {
    const n = this.size;
    if (n > INSERTION_SORT_MAX) {
      this.order.subarray(0, n).sort(this.compare);
      return;
    }
    const order = this.order;
    for (let i = 1; i < n; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= 0 && this.compare(order[j]!, x) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
  }

  /**
   * The ranked candidates, optionally rotated to start at `start`.
   * @param providers - the context's providers
   * @param start - index into `order` of the first candidate
   * @returns a frozen array of (cached) candidates: the one returned last when it holds the same
   */
  candidates(providers: readonly ProviderView[], start = 0): readonly Candidate[] {
    const n = this.size;
    const last = this.lastList;
    let same = last.length === n;
    for (let k = 0; k < n && same; k++) same = last[k] === this.candidateAt(providers, start, k);
    if (same) return last;
    const out = new Array<Candidate>(n);
    for (let k = 0; k < n; k++) out[k] = this.candidateAt(providers, start, k);
    this.lastList = Object.freeze(out);
    return this.lastList;
  }

  /**
   * The decision to try the ranked candidates ({@link candidates}), reused (frozen) while they are the same.
   * @param providers - the context's providers
   * @param start - index into `order` of the first candidate
   * @returns `{ candidates }`
   */
  decision(providers: readonly ProviderView[], start = 0): RouteDecision {
    const list = this.candidates(providers, start);
    if (this.lastDecision.candidates !== list) this.lastDecision = Object.freeze({ candidates: list });
    return this.lastDecision;
  }

  /** The k-th candidate of the ranking rotated to start at `start`. */
  private candidateAt(providers: readonly ProviderView[], start: number, k: number): Candidate {
    const n = this.size;
    let at = start + k;
    if (at >= n) at -= n;
    const pos = this.order[at]!;
    return this.candidate(providers[pos]!, this.tier[pos]!);
  }

  /**
   * A cached, frozen candidate for a provider in a tier.
   * @param view - the provider
   * @param tier - the tier
   * @returns the candidate
   */
  candidate(view: ProviderView, tier: string): Candidate {
    const hit = this.cache[view.index];
    // The id check guards against the same strategy object routing in another scenario.
    if (hit !== undefined && hit.tier === tier && hit.provider === view.id) return hit;
    const made: Candidate = Object.freeze({ provider: view.id, tier });
    this.cache[view.index] = made;
    return made;
  }
}

/**
 * Fills `ranking` with every provider that can serve the request, in provider order, each in
 * the tier {@link tierFor} picks, with sort keys 0.
 * @param ranking - scratch space to fill
 * @param request - the request
 * @param providers - the context's providers
 * @param strategyTier - the strategy's `tier` option
 */
export function collectServable(
  ranking: Ranking,
  request: ImageRequest,
  providers: readonly ProviderView[],
  strategyTier: string | undefined,
): void {
  ranking.reset(providers.length);
  for (let i = 0; i < providers.length; i++) {
    const view = providers[i]!;
    const tier = tierFor(view, request, strategyTier);
    if (tier !== undefined && view.canServe(request, tier)) ranking.add(i, tier);
  }
}

/**
 * {@link collectServable} with each provider's price now (`price(request, tier)`) as its sort
 * key, in one pass over the providers.
 * @param ranking - scratch space to fill
 * @param request - the request
 * @param providers - the context's providers
 * @param strategyTier - the strategy's `tier` option
 */
export function collectPriced(ranking: Ranking, request: ImageRequest, providers: readonly ProviderView[], strategyTier: string | undefined): void {
  // Requests of one traffic class mostly follow one another with one shape: while every price
  // depends on the shape alone (no schedule, off-peak, dynamic pricing or credits), the
  // ranking made for the last of them holds (`hold` copies the shape it was made for).
  if (ranking.holds(request, providers, strategyTier)) return;
  ranking.reset(providers.length);
  let shaped = true;
  let promptChars = false;
  let urgency = false;
  for (let i = 0; i < providers.length; i++) {
    const view = providers[i]!;
    const tier = tierFor(view, request, strategyTier);
    if (tier !== undefined && view.canServe(request, tier)) ranking.add(i, tier, view.price(request, tier));
    const reads = view instanceof ProviderHandle ? view.shapePricing() : undefined;
    if (reads === undefined) shaped = false;
    else {
      promptChars ||= reads.promptChars;
      urgency ||= reads.urgency;
    }
  }
  if (shaped) ranking.hold(request, providers, strategyTier, promptChars, urgency);
}
