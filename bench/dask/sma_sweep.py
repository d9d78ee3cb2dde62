"""
The SMA-crossover sweep as a Dask user would write it: numpy, vectorised over the bars, the grid
split into tasks over a dask.distributed LocalCluster. The comparison baseline of
bench/dask-comparison.ts, which runs quantgrid's sweep of the same grid and bars beside it.

Fairly configured, as the issue asks: one thread per worker process (as quantgrid's one-slot
agents), numpy's own threading off (the nanny's default), and the nanny's MALLOC_TRIM_THRESHOLD_
removed (with it, every numpy temporary above 64 KiB is handed back to the kernel and faulted in
again, which slows this workload several-fold). The closes are scattered to every worker once,
before any timed run, as quantgrid's agents keep a dataset in their cache.

Per combination: the signal (long while fast SMA > slow SMA), the simulation (the position taken
at a bar's close is held over the next bar; fee and slippage paid on each change), and the metrics
quantgrid reports (total return, CAGR, volatility, Sharpe, max drawdown and its duration, trades,
win rate, exposure, Sortino, Calmar, profit factor, average trade return); the best `top` rows by
Sharpe are kept per task and merged. This is the same work in form, not bit for bit the same
numbers (quantgrid's engine fills at the next bar's open).

Protocol (stdin/stdout, one JSON object per line): argv gives bars, fast start:stop:step, slow
start:stop:step, workers, tasks; after start-up it prints {"ready": ...}; each line "run" on stdin
runs the sweep once and prints {"wallMs": ..., "rows": [...]}; end of input shuts the cluster down.
"""
import json
import math
import sys
import time

import dask
import numpy as np
from distributed import Client, LocalCluster

PERIODS_PER_YEAR = 365 * 24 * 60  # one-minute bars, as the quantgrid side
COST = (5 + 1) / 10_000  # fee 5 bps + slippage 1 bps per change of position


def closes_of(bars: int, seed: int = 42) -> np.ndarray:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.001, bars)
    return 100.0 * np.exp(np.cumsum(steps))


def sma(close: np.ndarray, window: int) -> np.ndarray:
    sums = np.cumsum(close)
    out = np.full(close.shape, np.nan)
    out[window - 1] = sums[window - 1] / window
    out[window:] = (sums[window:] - sums[:-window]) / window
    return out


def metrics(close: np.ndarray, fast: np.ndarray, slow: np.ndarray) -> dict:
    n = close.size
    held = (fast > slow).astype(np.float64)  # NaN during warm-up compares False: flat
    moves = np.diff(held, prepend=0.0)  # +1 an entry, -1 an exit, at the bar whose close decides it
    r = held[:-1] * (close[1:] / close[:-1] - 1.0) - np.abs(moves[:-1]) * COST
    equity = np.cumprod(1.0 + r)
    total = equity[-1] - 1.0
    mean = r.mean()
    std = r.std(ddof=1)
    root = math.sqrt(PERIODS_PER_YEAR)
    sharpe = mean / std * root if std > 0 else None
    downside = math.sqrt(float(np.square(np.minimum(r, 0.0)).sum()) / (n - 2))
    sortino = mean / downside * root if downside > 0 else None
    peak = np.maximum.accumulate(np.maximum(equity, 1.0))
    drawdown = float((1.0 - equity / peak).max())
    at_peak = np.flatnonzero(equity >= peak)
    last_peak = np.zeros(equity.size, dtype=np.int64)
    last_peak[at_peak] = at_peak
    np.maximum.accumulate(last_peak, out=last_peak)
    duration = int((np.arange(equity.size) - last_peak).max())
    cagr = float(equity[-1] ** (PERIODS_PER_YEAR / (n - 1)) - 1.0) if equity[-1] > 0 else None
    entries = np.flatnonzero(moves > 0)
    exits = np.flatnonzero(moves < 0)
    closed = min(entries.size, exits.size)
    marks = np.concatenate(([1.0], equity))
    # Value at a close t is marks[t]; an exit's cost is in the next return (none after the last bar).
    trade_returns = marks[np.minimum(exits[:closed] + 1, n - 1)] / marks[entries[:closed]] - 1.0
    wins = trade_returns[trade_returns > 0]
    losses = trade_returns[trade_returns < 0]
    return {
        "totalReturn": float(total),
        "cagr": cagr,
        "volatility": float(std * root),
        "sharpe": None if sharpe is None else float(sharpe),
        "maxDrawdown": drawdown,
        "maxDrawdownDuration": duration,
        "trades": int(entries.size),
        "winRate": float(wins.size / closed) if closed else None,
        "exposure": float(held.mean()),
        "sortino": None if sortino is None else float(sortino),
        "calmar": (cagr / drawdown) if cagr is not None and drawdown > 0 else None,
        "profitFactor": float(wins.sum() / -losses.sum()) if losses.size else None,
        "avgTradeReturn": float(trade_returns.mean()) if closed else None,
    }


def run_task(close: np.ndarray, pairs: list, top: int) -> list:
    cache = {}
    rows = []
    for fast, slow in pairs:
        for window in (fast, slow):
            if window not in cache:
                cache[window] = sma(close, window)
        row = metrics(close, cache[fast], cache[slow])
        row["params"] = {"fast": fast, "slow": slow}
        rows.append(row)
    rows.sort(key=lambda row: -math.inf if row["sharpe"] is None else row["sharpe"], reverse=True)
    return rows[:top]


def grid(text: str) -> list:
    start, stop, step = (int(part) for part in text.split(":"))
    return list(range(start, stop + 1, step))


def main() -> None:
    bars, fast_text, slow_text, workers, tasks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    top = 20
    pairs = [(f, s) for f in grid(fast_text) for s in grid(slow_text) if f < s]
    # Contiguous blocks of the fast-major list: a task computes few fast SMAs and each slow one once.
    size = -(-len(pairs) // tasks)
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    dask.config.set({"distributed.nanny.pre-spawn-environ": environ})
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        close = client.scatter(closes_of(int(bars)), broadcast=True)
        print(json.dumps({"ready": True, "combinations": len(pairs), "tasks": len(chunks), "dask": dask.__version__, "numpy": np.__version__}), flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                continue
            started = time.perf_counter()
            futures = client.map(run_task, [close] * len(chunks), chunks, [top] * len(chunks), pure=False)
            tops = client.gather(futures)
            rows = sorted((row for rows in tops for row in rows), key=lambda row: -math.inf if row["sharpe"] is None else row["sharpe"], reverse=True)[:top]
            wall_ms = (time.perf_counter() - started) * 1000
            print(json.dumps({"wallMs": wall_ms, "rows": len(rows), "best": rows[0]["params"] if rows else None}), flush=True)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
