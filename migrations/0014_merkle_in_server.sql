-- Growing the Merkle tree in the server (docs/integrity.md, "Checkpoints").
-- The tree used to be grown by the signing process itself: it read every new chain hash,
-- hashed it in Python and copied the completed subtrees back. Under `ledger serve` that
-- work shared the API process (and its interpreter lock) with the writers. Here one call
-- adds up to `max_leaves` leaves and every perfect subtree they complete, set-based, with
-- PostgreSQL's own sha256(); the caller holds the tree's advisory lock.
-- The function is generated with this schema's names written into it (as the chain
-- trigger is), so a session working in several schemas cannot grow the wrong tree.
-- depends: 0007_checkpoints

DO $create$
BEGIN
EXECUTE format($function$
CREATE FUNCTION %1$I.ledger_merkle_extend(max_leaves bigint) RETURNS bigint
LANGUAGE plpgsql AS $body$
DECLARE
    old_size bigint := 0;
    last_position bigint := 0;
    added bigint;
    new_size bigint;
    lvl int := 1;
BEGIN
    SELECT leaf_index + 1, position INTO old_size, last_position
        FROM %1$I.ledger_merkle_leaves ORDER BY leaf_index DESC LIMIT 1;
    IF NOT FOUND THEN
        old_size := 0;
        last_position := 0;
    END IF;
    -- Leaf i is the i-th event in position order: SHA-256(0x00 || chain hash).
    INSERT INTO %1$I.ledger_merkle_leaves (leaf_index, position, hash)
        SELECT old_size + row_number() OVER (ORDER BY e.notification_id) - 1,
               e.notification_id, sha256('\x00'::bytea || e.hash)
        FROM (SELECT notification_id, hash FROM %1$I.ledger_events
              WHERE notification_id > last_position
              ORDER BY notification_id LIMIT max_leaves) AS e;
    GET DIAGNOSTICS added = ROW_COUNT;
    new_size := old_size + added;
    -- At each level, the nodes completed by the new leaves are [old_size >> lvl, new_size >> lvl):
    -- SHA-256(0x01 || left || right) of two children already stored one level down.
    WHILE lvl < 63 AND (new_size >> lvl) > (old_size >> lvl) LOOP
        IF lvl = 1 THEN
            INSERT INTO %1$I.ledger_merkle_nodes (level, node_index, hash)
                SELECT 1, l.leaf_index >> 1, sha256('\x01'::bytea || l.hash || r.hash)
                FROM %1$I.ledger_merkle_leaves l
                JOIN %1$I.ledger_merkle_leaves r ON r.leaf_index = l.leaf_index + 1
                WHERE l.leaf_index >= (old_size >> 1) << 1
                  AND l.leaf_index < (new_size >> 1) << 1
                  AND l.leaf_index %% 2 = 0;
        ELSE
            INSERT INTO %1$I.ledger_merkle_nodes (level, node_index, hash)
                SELECT lvl, l.node_index >> 1, sha256('\x01'::bytea || l.hash || r.hash)
                FROM %1$I.ledger_merkle_nodes l
                JOIN %1$I.ledger_merkle_nodes r
                    ON r.level = l.level AND r.node_index = l.node_index + 1
                WHERE l.level = lvl - 1
                  AND l.node_index >= (old_size >> lvl) << 1
                  AND l.node_index < (new_size >> lvl) << 1
                  AND l.node_index %% 2 = 0;
        END IF;
        lvl := lvl + 1;
    END LOOP;
    RETURN new_size;
END;
$body$
$function$, current_schema());
END;
$create$;
