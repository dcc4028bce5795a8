export {
  createObjectStorage,
  importS3Client,
  isStorageUnavailable,
  ObjectTooLargeError,
  type ObjectStorage,
  type ObjectStorageOptions,
  type OpenedObject,
  type StoredObject,
} from './object-storage.ts';
export {
  ACCEPTED_TYPES,
  decodeUtf8,
  detectDocumentKind,
  documentKinds,
  importFileType,
  kindOfMediaType,
  SNIFF_BYTES,
  type Detection,
  type DocumentKind,
} from './document-types.ts';
