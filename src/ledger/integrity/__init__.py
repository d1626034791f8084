"""What proves the ledger's history: the Merkle tree, signed checkpoints, proofs, audit
exports and evidence bundles."""
