export { CaptureStore } from './capture-store';
export type { CaptureStoreOptions, StoreCursor } from './capture-store';
export type { ExchangeRecord, ExchangeSink } from './types';
export { Batcher } from './batcher';
export type { Batch, BatcherOptions } from './batcher';
export { CSV_HEADER, csvCell, csvRow } from './csv';
export { JOURNAL_FILE, META_FILE } from './journal';
