export { sma } from './sma.js';
export { ema } from './ema.js';
export { rsi } from './rsi.js';
export { macd, type MacdSeries } from './macd.js';
export { bollinger, type BollingerSeries } from './bollinger.js';
export { volumeProfile, binEdge, type VolumeProfile } from './volume-profile.js';
