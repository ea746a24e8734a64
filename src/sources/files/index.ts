/**
 * `ferry/files`: read CSV, TSV, NDJSON and JSON files and XLSX workbooks as source items
 * ({@link readFile}), give their columns types ({@link TypeInference}, {@link SchemaContract}),
 * and write a file atomically ({@link writeFileAtomic}).
 * @module ferry/files
 */
export { writeFileAtomic } from './atomic-write.ts';
export { readCsv, type ReadCsvOptions } from './read-csv.ts';
export { readNdjson, type ReadNdjsonOptions } from './read-ndjson.ts';
export { readJsonArray, type ReadJsonArrayOptions } from './read-json-array.ts';
export { readXlsx, type ReadXlsxOptions, type XlsxRecord } from './read-xlsx.ts';
export { readFile, formatFor, formatOf, type FileFormat, type ReadFileOptions } from './read-file.ts';
export { fileVersionCheck } from './file-version.ts';
export type { ReadOptions, TextEncoding } from './open-stream.ts';
export type { FileSource } from './file-source.ts';
export type { SourceItem, Position } from '../source-item.ts';
export { TypeInference } from '../../schema/infer-types.ts';
export { SchemaContract, type ContractOptions, type SchemaMode } from '../../schema/contract.ts';
export { parseTypeOverrides, type TypeOverrides } from '../../schema/type-overrides.ts';
