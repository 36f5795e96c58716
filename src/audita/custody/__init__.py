"""The custody log: an append-only, Merkle-tree, signed record of every action on evidence."""
