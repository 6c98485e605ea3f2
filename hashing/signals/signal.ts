/**
 * A signal type is one hashing algorithm as a plug-in (the ThreatExchange idea): a name, how to check
 * a stored hash is well-formed, how to compute it from its input, and how to compare two hashes.
 * Adding an algorithm means adding one file here plus its conformance test - nothing else changes.
 */
export interface SignalType<Input> {
  /** Stable name, used in stored fingerprints and match results ('pdq', 'blockhash', 'md5', ...). */
  readonly name: string;
  /** Size of the hash in bits. */
  readonly bits: number;
  /** Whether a stored hash string is well-formed for this signal. */
  validate(hash: string): boolean;
  /** Compute the hash of one input. */
  hash(input: Input): string;
  /** Distance between two hashes: Hamming bits for perceptual signals, 0 or 1 for exact ones. */
  compare(a: string, b: string): number;
}
