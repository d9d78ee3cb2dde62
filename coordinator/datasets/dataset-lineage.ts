/** A stored dataset's parent, as the dataset store records it (`data append`: parentId, parentBars). */
export interface DatasetLineage {
  info(id: string): Promise<{ id: string; parentId?: string; parentBars?: number; bars: number } | undefined>;
}

/**
 * The versions dataset `id` extends, nearest first — its parent, the parent's parent… — each with
 * how many leading bars of its child are its own; at most `depth` of them, one lookup each, stopping
 * at a dataset without a parent, an unknown one, or (were the records ever inconsistent) one already seen.
 */
export async function* parentsOf(id: string, lineage: DatasetLineage, depth: number): AsyncGenerator<{ id: string; bars: number }> {
  const seen = new Set([id]);
  let current = id;
  for (let found = 0; found < depth; found++) {
    const info = await lineage.info(current);
    const parent = info?.parentId;
    if (!parent || seen.has(parent)) return;
    yield { id: parent, bars: info.parentBars ?? 0 };
    seen.add(parent);
    current = parent;
  }
}
