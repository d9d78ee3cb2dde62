/** Previous / next and "page N of M" for a paginated list. */
import type { JSX } from 'preact';

export function Pagination(props: { page: number; pages: number; total: number; onPage: (page: number) => void }): JSX.Element {
  return (
    <nav class="pagination" aria-label="pages">
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        ← newer
      </button>
      <span data-page={props.page}>
        page {props.page} of {props.pages} · {props.total} job{props.total === 1 ? '' : 's'}
      </span>
      <button type="button" disabled={props.page >= props.pages} onClick={() => props.onPage(props.page + 1)}>
        older →
      </button>
    </nav>
  );
}
