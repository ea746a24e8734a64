/**
 * `ferry/files`: read CSV, TSV, NDJSON and JSON files and XLSX workbooks as source items
 * ({@link readFile}), and write a file atomically ({@link writeFileAtomic}).
 * @module ferry/files
 */
export { writeFileAtomic } from './atomic-write.ts';
export { readCsv, type ReadCsvOptions } from '../sources/files/read-csv.ts';
export { readNdjson, type ReadNdjsonOptions } from '../sources/files/read-ndjson.ts';
export { readJsonArray, type ReadJsonArrayOptions } from '../sources/files/read-json-array.ts';
export { readXlsx, type ReadXlsxOptions, type XlsxRecord } from '../sources/files/read-xlsx.ts';
export { readFile, formatOf, type FileFormat, type ReadFileOptions } from '../sources/files/read-file.ts';
export type { ReadOptions } from '../sources/files/open-stream.ts';
export type { SourceItem, Position } from '../sources/source-item.ts';
