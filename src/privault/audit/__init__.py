"""Tamper-evident audit log: RFC 9162 Merkle tree, proofs and signed checkpoints."""

from __future__ import annotations

from privault.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactTree,
    LeafHashSource,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root_from_leaf_hashes,
    root_hash,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactTree",
    "LeafHashSource",
    "consistency_proof",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "root_from_leaf_hashes",
    "root_hash",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]
