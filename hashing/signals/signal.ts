/**
 * A signal type is one hashing algorithm as a plug-in (the ThreatExchange idea): a name, how to check a
 * stored hash is well-formed, how to compute it from its input, how far apart two hashes are, and the
 * published vectors it must reproduce. Fingerprinting loops over the registered signals
 * (registry.ts), so adding an algorithm is one file here, one line in the registry and its examples -
 * the policy and the services do not change.
 *
 * `Hash` is whatever the fingerprint stores under the signal's name: a hex string (SHA-256, blockhash),
 * an object (PDQ keeps its quality beside the bits), or anything else JSON can carry - a compact binary
 * descriptor as base64, say - as long as `compare` knows how to measure it.
 */
export interface SignalType<Input, Hash = string> {
  /** Stable name: the fingerprint's field for this signal ('pdq', 'blockhash', 'sha256', ...). */
  readonly name: string;
  /** Whether a stored value (from a bank file, the database, another process) is a well-formed hash of this signal. */
  validate(value: unknown): value is Hash;
  /** Computes the hash of one input. Pure: the same input always gives the same hash. */
  hash(input: Input): Hash;
  /**
   * Distance between two hashes, 0 for the same: Hamming bits for the 256-bit perceptual hashes, 0 or 1
   * for exact ones; a signal with another geometry defines its own (smaller is always closer).
   */
  compare(a: Hash, b: Hash): number;
  /** Conformance vectors: inputs whose hash a reference implementation published. At least one. */
  readonly examples: readonly SignalExample<Hash>[];
}

export interface SignalExample<Hash> {
  /** The input file, relative to the repository's root (the shared vectors: '../shared/vectors/...'). */
  readonly file: string;
  /** The hash the reference implementation gave for it. */
  readonly expected: Hash;
  /** Largest `compare` distance accepted (0 when the reference sees the same bytes or pixels; more where JPEG decoders differ). */
  readonly maxDistance: number;
  /** Which reference implementation, and where its output was taken from. */
  readonly source: string;
}
