import hashlib
import os

import pytest

from audita.custody.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    frontier_append,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_of,
    verify_consistency,
)


def test_hash_prefixes_follow_rfc9162():
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    # Three leaves split 2 + 1.
    assert root_of([a, b, c]) == node_hash(node_hash(a, b), c)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_frontier_matches_full_recomputation_and_proofs_verify(n):
    leaves = [leaf_hash(os.urandom(8)) for _ in range(n)]
    frontier = []
    for leaf in leaves:
        frontier = frontier_append(frontier, leaf)
    root = root_of(leaves)
    assert frontier_root(frontier) == root
    for i in range(n):
        assert root_from_inclusion_proof(leaves[i], i, n, inclusion_proof(leaves, i)) == root
    for m in range(1, n + 1):
        assert verify_consistency(m, n, root_of(leaves[:m]), root, consistency_proof(leaves, m))


def test_proofs_reject_wrong_data():
    leaves = [leaf_hash(bytes([i])) for i in range(10)]
    proof = inclusion_proof(leaves, 3)
    assert root_from_inclusion_proof(leaf_hash(b"forged"), 3, 10, proof) != root_of(leaves)
    forged_old = root_of([leaf_hash(b"x")] + leaves[1:6])
    assert not verify_consistency(6, 10, forged_old, root_of(leaves), consistency_proof(leaves, 6))
