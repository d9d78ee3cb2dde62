/** Stored datasets: versions and tags, the storage budget, a chart of a version's closes, delete for those allowed to. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { API, DEFAULT_CLOSE_POINTS, datasetClosesPath, datasetPath, type DatasetCloses, type DatasetRemoved, type DatasetView, type DatasetsResponse } from '../../shared/dashboard/api-types.js';
import { apiDelete, withQuery } from '../api/http.js';
import { useApi } from '../api/use-api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { LineChart } from '../components/line-chart.js';
import { formatBytes, formatNumber, formatTime } from '../format.js';
import { hasRole, useSession } from '../session.js';

function ClosesChart(props: { id: string }): JSX.Element {
  const closes = useApi<DatasetCloses>(withQuery(datasetClosesPath(props.id), { points: DEFAULT_CLOSE_POINTS }));
  if (closes.error) return <ErrorNote error={closes.error} />;
  if (!closes.data) return <Loading />;
  const data = closes.data;
  return (
    <div class="closes">
      <h3>
        {data.symbol} {data.timeframe}: {formatNumber(data.bars, 0)} bars{data.close.length < data.bars ? ` (${data.close.length} points shown, every run's low and high kept)` : ''}
      </h3>
      <LineChart name="closes" x={data.time} series={[{ label: 'close', values: data.close, color: '#2f6fb0' }]} time height={260} yLabel="close" />
    </div>
  );
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

export function DatasetsPage(): JSX.Element {
  const datasets = useApi<DatasetsResponse>(API.datasets);
  const session = useSession();
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  const remove = async (what: string, label: string): Promise<void> => {
    if (!window.confirm(`Delete ${label}?`)) return;
    setError('');
    setNotice('');
    try {
      const removed = await apiDelete<DatasetRemoved>(datasetPath(what));
      setNotice(removed.removedId ? `Deleted ${shortId(removed.removedId)} (${formatBytes(removed.freedBytes)} freed${removed.removedTags.length ? `, tags ${removed.removedTags.join(', ')}` : ''}).` : `Removed tag ${removed.removedTag}.`);
      if (selected === removed.removedId) setSelected(undefined);
      datasets.reload();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  const mayDelete = (dataset: { owner: string }): boolean => hasRole(session, 'admin') || (hasRole(session, 'submitter') && session?.user === dataset.owner);
  const data = datasets.data;
  return (
    <section class="page-datasets">
      <h1>Datasets</h1>
      <ErrorNote error={datasets.error} />
      <ErrorNote error={error} />
      {notice ? <p class="notice">{notice}</p> : null}
      {!data ? (
        <Loading />
      ) : (
        <>
          <p class="muted">
            {data.datasets.length} version{data.datasets.length === 1 ? '' : 's'} · {formatBytes(data.usedBytes)} stored{data.budgetBytes ? ` of ${formatBytes(data.budgetBytes)}` : ''}
          </p>
          {data.datasets.length === 0 ? (
            <p class="muted">
              No datasets. Import one with <code>quantgrid data import</code>.
            </p>
          ) : (
            <div class="table-scroll">
              <table class="data" data-table="datasets">
                <thead>
                  <tr>
                    <th>version</th>
                    <th>symbol</th>
                    <th>timeframe</th>
                    <th class="num">bars</th>
                    <th>from – to</th>
                    <th class="num">size</th>
                    <th>tags</th>
                    <th>extends</th>
                    <th>imported</th>
                    <th>owner</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.datasets.map((d: DatasetView) => (
                    <tr key={d.id} data-dataset={d.id} class={selected === d.id ? 'selected' : undefined}>
                      <td>
                        <button type="button" class="link mono" title={`sha256:${d.id}`} onClick={() => setSelected(d.id)}>
                          {shortId(d.id)}
                        </button>
                      </td>
                      <td>{d.symbol}</td>
                      <td>{d.timeframe}</td>
                      <td class="num">{formatNumber(d.bars, 0)}</td>
                      <td class="small">
                        {formatTime(d.firstTimeMs)} – {formatTime(d.lastTimeMs)}
                      </td>
                      <td class="num">{formatBytes(d.bytes)}</td>
                      <td>
                        {d.tags.map((tag) => (
                          <span key={tag} class="tag">
                            {tag}
                          </span>
                        ))}
                      </td>
                      <td class="small">{d.parentId ? `${shortId(d.parentId)} + ${formatNumber(d.appendedBars, 0)} bars` : <span class="muted">–</span>}</td>
                      <td class="small">{formatTime(d.importedAtMs)}</td>
                      <td>{d.owner}</td>
                      <td>
                        {mayDelete(d) ? (
                          <button type="button" class="danger small" name="delete" onClick={() => void remove(`sha256:${d.id}`, `dataset sha256:${shortId(d.id)}…`)}>
                            Delete
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {selected ? <ClosesChart key={selected} id={selected} /> : data.datasets.length ? <p class="muted">Pick a version to chart its closes.</p> : null}
          {data.tags.length ? (
            <>
              <h2>Tags</h2>
              <div class="table-scroll">
              <table class="data" data-table="tags">
                <thead>
                  <tr>
                    <th>tag</th>
                    <th>version</th>
                    <th>owner</th>
                    <th>updated</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.tags.map((tag) => (
                    <tr key={tag.name} data-tag={tag.name}>
                      <td>{tag.name}</td>
                      <td>
                        <button type="button" class="link mono" onClick={() => setSelected(tag.id)}>
                          {shortId(tag.id)}
                        </button>
                      </td>
                      <td>{tag.owner}</td>
                      <td>{formatTime(tag.updatedAtMs)}</td>
                      <td>
                        {mayDelete(tag) ? (
                          <button type="button" class="danger small" name="delete-tag" onClick={() => void remove(tag.name, `tag ${tag.name} (the version stays)`)}>
                            Remove tag
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              </div>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
