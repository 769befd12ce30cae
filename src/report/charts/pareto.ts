/**
 * The Pareto frontier of points where lower is better on both axes (cost per image and p95
 * latency): the points no other point beats on one axis without losing on the other.
 */

/** A point of the cost-latency plane. */
export interface ParetoPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * The non-dominated points, sorted by x (so y decreases along them). A point is dominated when
 * another is at least as good on both axes and better on one; equal points are all kept once.
 * @param points - the candidates (NaN coordinates are ignored)
 * @returns the frontier, left to right
 */
export function paretoFrontier<P extends ParetoPoint>(points: readonly P[]): P[] {
  const sorted = points.filter((p) => !Number.isNaN(p.x) && !Number.isNaN(p.y)).sort((a, b) => a.x - b.x || a.y - b.y);
  const frontier: P[] = [];
  let bestY = Infinity;
  for (const p of sorted) {
    // Sorted by x then y: a point is on the frontier when it is strictly lower than every point
    // to its left; an exact duplicate of the last frontier point adds nothing.
    if (p.y < bestY) {
      frontier.push(p);
      bestY = p.y;
    }
  }
  return frontier;
}
