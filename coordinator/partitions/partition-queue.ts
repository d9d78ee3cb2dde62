import Denque from 'denque';

/**
 * A queue ordered by priority (higher first), first-in first-out within a priority.
 * push, shift and unshift are amortised O(1) for a handful of distinct priorities.
 */
export class PartitionQueue<T> {
  /** Priorities in descending order, each with its own deque. */
  private readonly levels: Array<{ priority: number; deque: Denque<T> }> = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T, priority: number): void {
    this.level(priority).push(item);
    this.count += 1;
  }

  /** Puts an item at the front of its priority (retries, items handed back unplaced). */
  unshift(item: T, priority: number): void {
    this.level(priority).unshift(item);
    this.count += 1;
  }

  shift(): { item: T; priority: number } | undefined {
    for (const level of this.levels) {
      if (level.deque.length > 0) {
        this.count -= 1;
        return { item: level.deque.shift()!, priority: level.priority };
      }
    }
    return undefined;
  }

  private level(priority: number): Denque<T> {
    let index = 0;
    while (index < this.levels.length && this.levels[index].priority > priority) index++;
    if (index < this.levels.length && this.levels[index].priority === priority) return this.levels[index].deque;
    const deque = new Denque<T>();
    this.levels.splice(index, 0, { priority, deque });
    return deque;
  }
}
