/**
 * A job page's event log kept in order and free of repeats: the events of GET /api/jobs/:id/events
 * and those of the job's stream (which may repeat some, after a reconnect or when the two overlap)
 * merged by their event id, a Redis stream id ("<ms>-<seq>", ordered). Linear in the events kept
 * (plus k log k for a batch of k), never a search of the whole log per event.
 */

/** Orders two event ids as their Redis stream ids are ordered (numerically, time then sequence). */
export function compareEventIds(a: string, b: string): number {
  const dashA = a.indexOf('-');
  const dashB = b.indexOf('-');
  return comparePart(a.slice(0, dashA), b.slice(0, dashB)) || comparePart(a.slice(dashA + 1), b.slice(dashB + 1));
}

/** Decimal digits without leading zeros (as Redis writes them) compared as numbers, whatever their length. */
function comparePart(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `kept` (in event id order, no repeats) with `incoming` added: events without an id (a stream's
 * first snapshot) and ids already present are left out, the rest placed by id. Returns `kept`
 * itself when nothing was added.
 */
export function mergeEvents<E extends { eventId: string }>(kept: readonly E[], incoming: readonly E[]): readonly E[] {
  const fresh = incoming.filter((event) => event.eventId !== '').sort((a, b) => compareEventIds(a.eventId, b.eventId));
  if (fresh.length === 0) return kept;
  const last = kept.length ? kept[kept.length - 1].eventId : '';
  // The usual case: everything arrived after what is kept.
  if (last === '' || compareEventIds(fresh[0].eventId, last) > 0) return kept.concat(dropRepeats(fresh));
  const merged: E[] = [];
  let i = 0;
  let j = 0;
  const push = (event: E): void => {
    if (merged.length === 0 || merged[merged.length - 1].eventId !== event.eventId) merged.push(event);
  };
  while (i < kept.length || j < fresh.length) {
    if (j >= fresh.length || (i < kept.length && compareEventIds(kept[i].eventId, fresh[j].eventId) <= 0)) push(kept[i++]);
    else push(fresh[j++]);
  }
  return merged.length === kept.length ? kept : merged;
}

function dropRepeats<E extends { eventId: string }>(sorted: readonly E[]): E[] {
  return sorted.filter((event, i) => i === 0 || sorted[i - 1].eventId !== event.eventId);
}
