export { compressionReport, type CompressionReport, type LayerCompression, type StageBytes } from './accounting';
export { crc32 } from './crc32';
export {
  FORMAT_VERSION, MAGIC, MAX_EXPANSION, SECTIONS, decodeModel, encodeModel,
  type DecodedModel, type EncodeOptions, type EncodedModel, type ModelFileHeader, type TensorEncoding, type TensorHeader, type TensorLayout,
} from './format';
export {
  MAX_ALPHABET, MAX_CODE_LENGTH, canonicalCodes, codeLengths, huffmanDecode, huffmanEncode, symbolCounts, validateLengths, type EncodedStream,
} from './huffman';
export { CENTROID_INITS, assignNearest, kmeans1d, type CentroidInit, type KMeansOptions, type KMeansResult } from './kmeans';
export { CompressedModel, loadModel, loadModelAsync, saveModel, type LoadOptions } from './model-file';
export {
  DEFAULT_BITS, SharedWeights, fineTuneCentroids, shareWeights,
  type BitsOption, type CentroidFineTuneOptions, type ShareOptions, type SharedTensor,
} from './sharing';
export { MAX_INDEX_BITS, decodeRelativeIndices, encodeRelativeIndices, livePositions } from './sparse-index';
