/** The dashboard's datasets: versions and tags, a version's closes for a chart, removal as the gRPC API does it. */
import type { DatasetCloses, DatasetRemoved, DatasetsResponse } from '../../shared/dashboard/api-types.js';
import { NotFound } from '../../shared/errors.js';
import { datasetSeries, decodeDataset } from '../../shared/quant/dataset-codec.js';
import { DATASET_STORE } from '../api/dependency-failure.js';
import { removeDataset } from '../api/dataset-removal.js';
import { toDatasetInfo } from '../datasets/dataset-store.js';
import { toDatasetTagView, toDatasetView } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { downsampleMinMax } from './downsample-closes.js';
import type { Route } from './http-router.js';
import { flagParam, parsePointsQuery } from './request-query.js';

export function datasetRoutes({ datasets, datasetReferences, audit, log }: DashboardDeps): Route[] {
  const dependency = DATASET_STORE;
  return [
    {
      method: 'GET',
      pattern: '/api/datasets',
      access: { rpc: 'ListDatasets' },
      dependency,
      async handle(): Promise<DatasetsResponse> {
        const [all, tags, usedBytes] = await Promise.all([datasets.list(), datasets.tags.list(), datasets.usedBytes()]);
        const byId = new Map<string, string[]>();
        for (const tag of tags) byId.set(tag.id, [...(byId.get(tag.id) ?? []), tag.name]);
        return { datasets: all.map((info) => toDatasetView(toDatasetInfo(info, false, byId.get(info.id)))), tags: tags.map(toDatasetTagView), usedBytes, budgetBytes: datasets.budgetBytes };
      },
    },
    {
      method: 'GET',
      pattern: '/api/datasets/:id/closes',
      access: { rpc: 'ListDatasets' },
      dependency,
      async handle({ params, url }): Promise<DatasetCloses> {
        const points = parsePointsQuery(url.searchParams);
        const found = await datasets.resolve(params.id);
        const bytes = found ? await datasets.bytes(found.info.id) : undefined;
        if (!found || !bytes) throw new NotFound('dataset', params.id);
        const series = datasetSeries(decodeDataset(bytes));
        const { time, value } = downsampleMinMax(series.time, series.close, points);
        return { id: found.info.id, symbol: series.symbol, timeframe: series.timeframe, bars: series.time.length, time, close: value };
      },
    },
    {
      method: 'DELETE',
      pattern: '/api/datasets/:id',
      access: { rpc: 'RemoveDataset' },
      dependency,
      handle: ({ params, url, principal }): Promise<DatasetRemoved> => removeDataset({ datasets, references: datasetReferences, audit, log }, principal, params.id, flagParam(url.searchParams, 'force')),
    },
  ];
}
