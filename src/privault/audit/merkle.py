"""RFC 9162 (Certificate Transparency v2) Merkle tree hashes, proofs and their verification.

The tree over leaves ``D[0:n]`` follows RFC 9162 section 2.1.1: a leaf hashes as
``SHA-256(0x00 || data)``, an interior node as ``SHA-256(0x01 || left || right)``, and a tree of
``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``. The empty tree hashes
as ``SHA-256("")``.

Proofs are produced from *leaf hashes* (what the database keeps), never from leaf data. A proof is
a list of subtree hashes; :func:`inclusion_proof_ranges` and :func:`consistency_proof_ranges` name
the leaf ranges ``[start, end)`` whose hashes make it up, so a storage layer that caches subtree
hashes can answer each range itself. Without a cache, :func:`subtree_hash` streams the range's leaf
hashes through a :class:`CompactTree`: a proof then costs at most ``n`` leaf reads and ``n`` hashes
(the ranges of one proof are disjoint) in ``O(log n)`` memory. Every range in a proof is a node of
the tree, so :func:`perfect_subtrees` splits it into aligned perfect subtrees: a cache of those
turns proof generation into ``O(log^2 n)`` lookups.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step and answers ``False``,
never an exception, for anything malformed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from itertools import islice

from privault.errors import InvalidInput

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

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# Largest tree size we accept: tree sizes travel as unsigned 64-bit integers in RFC 9162.
_MAX_SIZE = 2**64 - 1

# A provider of stored leaf hashes: a callable ``index -> hash`` or a sequence of hashes.
LeafHashSource = Callable[[int], bytes] | Sequence[bytes]


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf's data: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node from its children: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(width: int) -> int:
    """Largest power of two strictly smaller than ``width`` (``width >= 2``)."""
    return 1 << ((width - 1).bit_length() - 1)


class CompactTree:
    """An append-only Merkle tree that keeps only the roots of its maximal perfect subtrees.

    Memory is ``O(log n)`` whatever the number of leaves, so a verifier can stream a whole log.
    The roots sit on a stack, largest (leftmost) first; their sizes are the set bits of ``size``.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf by its hash (see :func:`leaf_hash`)."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
            raise InvalidInput("a leaf hash must be 32 bytes", code="bad_leaf_hash")
        self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaves by their hashes, in order.

        This is the hot loop of log verification: locals only, no per-leaf objects beyond the
        digests themselves. Hash lengths are not checked here; callers pass stored hashes.
        """
        stack = self._stack
        push, pop = stack.append, stack.pop
        sha256 = hashlib.sha256
        size = self._size
        for digest in leaf_hashes:
            # Each trailing one bit of ``size`` is a perfect subtree that the new leaf completes.
            node, carry = digest, size
            while carry & 1:
                node = sha256(_NODE_PREFIX + pop() + node).digest()
                carry >>= 1
            push(node)
            size += 1
        self._size = size

    def extend_data(self, leaves: Iterable[bytes]) -> None:
        """Append many leaves by their data, hashing each with the 0x00 prefix."""
        leaf_hasher = hashlib.sha256(_LEAF_PREFIX)
        stack = self._stack
        push, pop = stack.append, stack.pop
        sha256 = hashlib.sha256
        copy = leaf_hasher.copy
        size = self._size
        for data in leaves:
            # Copying a hasher already fed the prefix avoids concatenating every payload.
            hasher = copy()
            hasher.update(data)
            node, carry = hasher.digest(), size
            while carry & 1:
                node = sha256(_NODE_PREFIX + pop() + node).digest()
                carry >>= 1
            push(node)
            size += 1
        self._size = size

    def state(self) -> bytes:
        """The tree's state to store: its perfect-subtree roots, concatenated (<= 64 x 32 bytes)."""
        return b"".join(self._stack)

    @classmethod
    def from_state(cls, size: int, state: bytes) -> CompactTree:
        """Rebuild a tree of ``size`` leaves from :meth:`state`."""
        if size < 0 or len(state) != HASH_SIZE * bin(size).count("1"):
            raise InvalidInput("compact tree state does not match its size", code="bad_state")
        tree = cls()
        tree._size = size
        tree._stack = [state[i : i + HASH_SIZE] for i in range(0, len(state), HASH_SIZE)]
        return tree

    def root(self) -> bytes:
        """The RFC 9162 root hash of the leaves appended so far."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        node = stack[-1]
        for left in reversed(stack[:-1]):
            node = node_hash(left, node)
        return node


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 9162 root of a tree given its leaf hashes, streamed in ``O(log n)`` memory."""
    tree = CompactTree()
    tree.extend(leaf_hashes)
    return tree.root()


def root_hash(leaves: Iterable[bytes]) -> bytes:
    """The RFC 9162 root (MTH) of a tree given its leaves' data."""
    tree = CompactTree()
    tree.extend_data(leaves)
    return tree.root()


def _getter(source: LeafHashSource) -> Callable[[int], bytes]:
    if callable(source):
        return source
    return source.__getitem__


def subtree_hash(source: LeafHashSource, start: int, end: int) -> bytes:
    """MTH of the leaves ``[start, end)`` from their stored hashes: ``end - start`` reads.

    Leaves are read one index at a time in increasing order and never held together.
    """
    if not 0 <= start < end:
        raise InvalidInput("a subtree needs 0 <= start < end", code="bad_range")
    if end - start == 1:
        return _getter(source)(start)
    tree = CompactTree()
    tree.extend(map(_getter(source), range(start, end)))
    return tree.root()


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split ``[start, end)`` into the perfect subtrees whose right-to-left fold is its MTH.

    For a range that is a node of the tree (every range of a proof is), each piece is aligned:
    its start is a multiple of its width, so ``(start, width)`` can key a cache. The MTH of the
    range is ``fold`` of the pieces' hashes from the right: ``h = node_hash(piece, h)``.
    """
    if not 0 <= start < end:
        raise InvalidInput("a subtree needs 0 <= start < end", code="bad_range")
    pieces = []
    while start < end:
        width = 1 << ((end - start).bit_length() - 1)
        pieces.append((start, start + width))
        start += width
    return pieces


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer", code="bad_tree_size", argument=name)
    if not 0 < value <= _MAX_SIZE:
        raise InvalidInput(
            f"{name} must be between 1 and 2^64-1", code="bad_tree_size", argument=name
        )


def inclusion_proof_ranges(leaf_index: int, tree_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form RFC 9162 ``PATH(leaf_index, D[0:tree_size])``, in order."""
    _check_size("tree_size", tree_size)
    if isinstance(leaf_index, bool) or not isinstance(leaf_index, int):
        raise InvalidInput("leaf_index must be an integer", code="bad_leaf_index")
    if not 0 <= leaf_index < tree_size:
        raise InvalidInput("leaf_index is outside the tree", code="bad_leaf_index")
    # Walk from the root down to the leaf; the RFC lists siblings from the leaf up.
    siblings = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split(end - start)
        if leaf_index < start + k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    siblings.reverse()
    return siblings


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form RFC 9162 ``PROOF(old_size, D[0:new_size])``, in order."""
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise InvalidInput("old_size is larger than new_size", code="bad_tree_size")
    # SUBPROOF(m, D[n], b) unrolled: descend while m != n; each step appends one sibling after
    # the subproof, so the siblings come out in reverse. ``complete`` is the RFC's flag b.
    steps = []
    start, m, width, complete = 0, old_size, new_size, True
    while m != width:
        k = _split(width)
        if m <= k:
            steps.append((start + k, start + width))
            width = k
        else:
            steps.append((start, start + k))
            start, m, width, complete = start + k, m - k, width - k, False
    steps.reverse()
    if complete:
        # The old tree is a left subtree of the new one: the verifier already holds its hash.
        return steps
    return [(start, start + width), *steps]


def inclusion_proof(leaf_index: int, tree_size: int, get_leaf_hash: LeafHashSource) -> list[bytes]:
    """RFC 9162 inclusion proof for one leaf; at most ``tree_size - 1`` leaf reads."""
    ranges = inclusion_proof_ranges(leaf_index, tree_size)
    return [subtree_hash(get_leaf_hash, start, end) for start, end in ranges]


def consistency_proof(old_size: int, new_size: int, get_leaf_hash: LeafHashSource) -> list[bytes]:
    """RFC 9162 consistency proof between two tree sizes; at most ``new_size`` leaf reads."""
    ranges = consistency_proof_ranges(old_size, new_size)
    return [subtree_hash(get_leaf_hash, start, end) for start, end in ranges]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SIZE


def _hash_list(proof: object) -> list[bytes] | None:
    if not isinstance(proof, list | tuple):
        return None
    # A proof of a tree below 2^64 leaves holds at most ~65 hashes; refuse floods before hashing.
    if len(proof) > 128 or not all(_is_hash(item) for item in proof):
        return None
    return list(proof)


def verify_inclusion(
    *, leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof per RFC 9162 section 2.1.3.2; ``False`` for anything malformed."""
    path = _hash_list(proof)
    if path is None or not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not (_is_size(leaf_index) and _is_size(tree_size)) or leaf_index >= tree_size:
        return False
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof per RFC 9162 section 2.1.4.2; ``False`` for anything malformed.

    Sizes must satisfy ``0 < old_size <= new_size``. Equal sizes take the empty proof
    (RFC 9162 ``SUBPROOF(m, D[m], true) = {}``) and need equal roots.
    """
    path = _hash_list(proof)
    if path is None or not (_is_hash(old_root) and _is_hash(new_root)):
        return False
    if not (_is_size(old_size) and _is_size(new_size)) or not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in islice(path, 1, None):
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
