"""Tamper-evident audit log: RFC 9162 Merkle tree, proofs and signed checkpoints."""

from __future__ import annotations

from privault.audit.checkpoint import (
    SIGNING_CONTEXT,
    Checkpoint,
    CheckpointSigner,
    generate_signing_key,
    key_id_for,
    load_private_key_pem,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
    verify_checkpoint,
)
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
from privault.audit.rules import AuditRecord
from privault.audit.service import AuditLog, VerifyReport

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SIGNING_CONTEXT",
    "AuditLog",
    "AuditRecord",
    "Checkpoint",
    "CheckpointSigner",
    "CompactTree",
    "LeafHashSource",
    "VerifyReport",
    "consistency_proof",
    "consistency_proof_ranges",
    "generate_signing_key",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "key_id_for",
    "leaf_hash",
    "load_private_key_pem",
    "load_public_key_pem",
    "node_hash",
    "perfect_subtrees",
    "private_key_to_pem",
    "public_key_to_pem",
    "root_from_leaf_hashes",
    "root_hash",
    "subtree_hash",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]
