import { PartitionQueue } from './partition-queue.js';

/**
 * Partitions waiting for a slot, shared fairly between users: each user has a queue in priority order
 * (higher first, first-in first-out within a priority), and the users with work waiting take turns,
 * one partition each. One user's 100,000-partition sweep then delays another user's small job by at
 * most one partition per turn, not by the whole sweep. All operations are O(1) amortised for a
 * handful of priorities per user.
 */
export class FairShareQueue<T> {
  private readonly queues = new Map<string, PartitionQueue<T>>();
  /** Users in turn order; a user whose queue ran empty is dropped when its turn comes. */
  private readonly turns: string[] = [];
  private nextTurn = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Users with partitions waiting. */
  get users(): number {
    let users = 0;
    for (const queue of this.queues.values()) if (queue.size > 0) users++;
    return users;
  }

  push(item: T, priority: number, user: string): void {
    this.queueOf(user).push(item, priority);
    this.count += 1;
  }

  /** Puts an item back at the front of its user's priority (retries, items handed back unplaced); no turn is spent. */
  unshift(item: T, priority: number, user: string): void {
    this.queueOf(user).unshift(item, priority);
    this.count += 1;
  }

  /** The next user's best partition; the turn passes to the user after. */
  shift(): { item: T; priority: number; user: string } | undefined {
    while (this.turns.length > 0) {
      if (this.nextTurn >= this.turns.length) this.nextTurn = 0;
      const user = this.turns[this.nextTurn];
      const queue = this.queues.get(user)!;
      const entry = queue.shift();
      if (!entry) {
        this.turns.splice(this.nextTurn, 1);
        this.queues.delete(user);
        continue;
      }
      this.nextTurn += 1;
      this.count -= 1;
      return { ...entry, user };
    }
    return undefined;
  }

  private queueOf(user: string): PartitionQueue<T> {
    let queue = this.queues.get(user);
    if (!queue) {
      queue = new PartitionQueue<T>();
      this.queues.set(user, queue);
      // A newcomer waits for the round in progress to end: it goes last in turn order.
      this.turns.splice(this.nextTurn, 0, user);
      this.nextTurn += 1;
    }
    return queue;
  }
}
