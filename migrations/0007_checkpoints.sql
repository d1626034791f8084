-- Checkpoints: the Merkle tree over the chain's entries (RFC 9162 hashing) and the signed
-- tree heads over it (docs/integrity.md). Leaf i is the i-th event in position order; its
-- hash is SHA-256(0x00 || the event's 32-byte chain hash). Only complete (perfect)
-- subtrees are stored, so every stored row is final: the tables are append-only like the
-- events table. A superuser could rewrite these rows too; what settles a dispute is a
-- signed checkpoint kept outside the database, checked against the events table itself.
-- depends: 0006_lot_trace

-- One row per leaf: its index in the tree, the position of its event, and its leaf hash.
CREATE TABLE ledger_merkle_leaves (
    leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
    position bigint NOT NULL UNIQUE,
    hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- Perfect subtrees above the leaves: the node at (level, node_index) covers the leaves
-- [node_index * 2^level, (node_index + 1) * 2^level).
CREATE TABLE ledger_merkle_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
    node_index bigint NOT NULL CHECK (node_index >= 0),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, node_index)
);

-- Signed tree heads, newest last; ``note`` is the C2SP checkpoint (a signed note) as issued
-- and ``verifier_key`` the public key that checks it (the private key is never stored).
CREATE TABLE ledger_checkpoints (
    id bigserial PRIMARY KEY,
    tree_size bigint NOT NULL CHECK (tree_size >= 0),
    root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
    last_position bigint,
    origin text NOT NULL,
    key_id bytea NOT NULL CHECK (octet_length(key_id) = 4),
    verifier_key text NOT NULL,
    note text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX ledger_checkpoints_tree_size_idx ON ledger_checkpoints (tree_size);

CREATE TRIGGER ledger_merkle_leaves_no_update
    BEFORE UPDATE ON ledger_merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_merkle_leaves_no_delete
    BEFORE DELETE ON ledger_merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_merkle_leaves_no_truncate
    BEFORE TRUNCATE ON ledger_merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_merkle_nodes_no_update
    BEFORE UPDATE ON ledger_merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_merkle_nodes_no_delete
    BEFORE DELETE ON ledger_merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_merkle_nodes_no_truncate
    BEFORE TRUNCATE ON ledger_merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_checkpoints_no_update
    BEFORE UPDATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_checkpoints_no_delete
    BEFORE DELETE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_checkpoints_no_truncate
    BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
