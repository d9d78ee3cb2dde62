/** A completed job's result, shown the way its task kind's result reads; CSV download of the ranking. */
import type { JSX } from 'preact';
import { jobResultCsvPath, jobResultPath, type JobResultResponse } from '../../shared/dashboard/api-types.js';
import type { BacktestResult } from '../../shared/tasks/backtest/merge.js';
import type { MarketAnalysisResult } from '../../shared/tasks/market-analysis/merge.js';
import { useApi } from '../api/use-api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { formatBytes } from '../format.js';
import { BacktestResultView } from './backtest-result.js';
import { MarketAnalysisResultView } from './market-analysis-result.js';

export function JobResult(props: { jobId: string }): JSX.Element {
  const result = useApi<JobResultResponse>(jobResultPath(props.jobId));
  if (result.error) return <ErrorNote error={result.error} />;
  if (!result.data) return <Loading />;
  const data = result.data;
  return (
    <section class="job-result" data-kind={data.kind}>
      <h2>
        Result <span class="muted small">{formatBytes(data.bytes)}</span>{' '}
        {data.kind === 'noop' ? null : (
          <a class="button" href={jobResultCsvPath(props.jobId)} download>
            Download CSV
          </a>
        )}
      </h2>
      {data.kind === 'backtest' ? (
        <BacktestResultView result={data.result as BacktestResult} drawdowns={data.drawdowns} />
      ) : data.kind === 'market-analysis' ? (
        <MarketAnalysisResultView result={data.result as MarketAnalysisResult} />
      ) : (
        <pre class="json">{JSON.stringify(data.result, null, 2)}</pre>
      )}
    </section>
  );
}
